//! The starter study file `cumin init` writes: every key of [`StudyConfig`] with its
//! default and what it means, ready to edit.

/// The text of a starter `study.toml`.
pub const STARTER_STUDY: &str = include_str!("starter.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StudyConfig;
    use cumin_jay::{JayRule, JayRuleSwitches, Preset};

    #[test]
    fn the_starter_file_holds_the_defaults() {
        let parsed: StudyConfig = toml::from_str(STARTER_STUDY).unwrap();
        let defaults = StudyConfig::new(
            vec!["data/cin_*.csv".to_owned()],
            "data/population.csv".into(),
            "results".into(),
        );
        assert_eq!(parsed, defaults);
    }

    #[test]
    fn every_key_is_in_the_starter_file() {
        let mut full = StudyConfig::new(Vec::new(), "d".into(), "o".into());
        full.linkage = Some(cumin_link::LinkageMode::Exact);
        full.lsoa_lookup = Some("l".into());
        full.preset = Some(Preset::Jay2025);
        full.outcomes = Some(Vec::new());
        full.census_years = cumin_estimate::Period::parse("2009-2024");
        full.jay_rules = JayRuleSwitches::default();
        let json = serde_json::to_value(&full).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.push("jay_rules");
        let lines: Vec<&str> = STARTER_STUDY.lines().collect();
        for key in keys {
            let written = lines.iter().any(|l| {
                let l = l.trim_start_matches("# ");
                l.starts_with(&format!("{key} = ")) || *l == format!("[{key}]")
            });
            assert!(written, "{key} is not in the starter study file");
        }
        for rule in JayRule::ALL {
            assert!(
                STARTER_STUDY.contains(&format!("# {} = ", rule.as_str())),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn the_commented_keys_parse_when_uncommented() {
        let is_key = |k: &str| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let uncommented: String = STARTER_STUDY
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.starts_with('[') => rest,
                Some(rest) if rest.split_once(" = ").is_some_and(|(k, _)| is_key(k)) => rest,
                _ => l,
            })
            .fold(String::new(), |mut text, l| {
                text.push_str(l);
                text.push('\n');
                text
            });
        let parsed: StudyConfig = toml::from_str(&uncommented).unwrap();
        assert_eq!(parsed.preset, Some(Preset::Jay2025));
        assert_eq!(parsed.columns["LA"], "local_authority");
        assert_eq!(parsed.values["CINreferralDate"]["12/25/2013"], "2013-12-25");
        assert_eq!(
            parsed.lsoa_lookup.as_deref(),
            Some("data/lsoa_idaci.csv".as_ref())
        );
    }
}
