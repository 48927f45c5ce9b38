//! Stratum labels: how a child's event and a denominator row are placed in a stratum.

use crate::config::StratumVar;
use cumin_census::Sex;
use cumin_cohort::{ChildTable, Event};
use cumin_link::EpisodeSet;

/// The stratum label of an event (`None`: the value is unknown).
pub fn event_label(
    var: StratumVar,
    event: &Event,
    set: &EpisodeSet,
    children: &ChildTable,
) -> Option<String> {
    let c = event.child.index();
    let e = event.episode as usize;
    match var {
        StratumVar::All => Some("all".to_owned()),
        StratumVar::IdaciDecile => set.idaci_decile[e]
            .or(children.idaci_decile[c])
            .map(|d| d.to_string()),
        StratumVar::Sex => children.sex[c].map(|s| s.as_str().to_owned()),
        StratumVar::Ethnicity => children.ethnicity[c].map(|x| x.major_group().to_owned()),
        StratumVar::La => set.la[e].map(|l| l.to_string()),
    }
}

/// The stratum label of a denominator cell.
pub fn denominator_label(var: StratumVar, value: &str) -> Option<String> {
    let v = value.trim();
    match var {
        StratumVar::All => Some("all".to_owned()),
        StratumVar::IdaciDecile => v
            .parse::<u8>()
            .ok()
            .filter(|d| (1..=10).contains(d))
            .map(|d| d.to_string()),
        StratumVar::Sex => match v.to_ascii_lowercase().as_str() {
            "1" | "m" | "male" | "boy" | "boys" => Some(Sex::Male.as_str().to_owned()),
            "2" | "f" | "female" | "girl" | "girls" => Some(Sex::Female.as_str().to_owned()),
            _ => None,
        },
        StratumVar::Ethnicity => {
            let lower = v.to_ascii_lowercase();
            if ["white", "mixed", "asian", "black", "other"].contains(&lower.as_str()) {
                Some(lower)
            } else {
                cumin_census::Ethnicity::from_code(&v.to_ascii_uppercase())
                    .map(|e| e.major_group().to_owned())
            }
        }
        StratumVar::La => v
            .parse::<u16>()
            .ok()
            .filter(|l| (100..=999).contains(l))
            .map(|l| l.to_string()),
    }
}

/// What a denominator stratum value should look like.
pub fn expectation(var: StratumVar) -> &'static str {
    match var {
        StratumVar::All => "anything",
        StratumVar::IdaciDecile => "a decile 1-10",
        StratumVar::Sex => "1/2, M/F or male/female",
        StratumVar::Ethnicity => "a DfE ethnicity code or major group",
        StratumVar::La => "a 3-digit LA code",
    }
}
