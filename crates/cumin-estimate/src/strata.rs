//! Stratifications and strata: how a child's event and a denominator row are placed in a
//! stratum.

use cumin_census::{Column, Sex};
use cumin_cohort::{ChildTable, Event};
use cumin_link::EpisodeSet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A variable to stratify by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StratumVar {
    /// Everyone.
    All,
    /// IDACI decile at the event (1 = most deprived).
    IdaciDecile,
    /// Sex (the child's modal value).
    Sex,
    /// Major ethnic group (the child's modal value).
    Ethnicity,
    /// Local authority at the event.
    La,
}

impl StratumVar {
    /// Name in outputs (`stratum_var`).
    pub fn as_str(self) -> &'static str {
        match self {
            StratumVar::All => "all",
            StratumVar::IdaciDecile => "idaci_decile",
            StratumVar::Sex => "sex",
            StratumVar::Ethnicity => "ethnicity",
            StratumVar::La => "la",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<StratumVar> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(StratumVar::All),
            "idaci_decile" | "idaci" | "decile" => Some(StratumVar::IdaciDecile),
            "sex" | "gender" => Some(StratumVar::Sex),
            "ethnicity" => Some(StratumVar::Ethnicity),
            "la" => Some(StratumVar::La),
            _ => None,
        }
    }

    /// The episode column this stratum needs.
    pub fn column(self) -> Option<Column> {
        match self {
            StratumVar::All => None,
            StratumVar::IdaciDecile => Some(Column::IdaciDecile),
            StratumVar::Sex => Some(Column::Gender),
            StratumVar::Ethnicity => Some(Column::Ethnicity),
            StratumVar::La => Some(Column::La),
        }
    }

    /// The denominator column this stratum needs.
    pub fn denominator_column(self) -> Option<&'static str> {
        match self {
            StratumVar::All => None,
            StratumVar::IdaciDecile => Some("IDACI_Decile"),
            StratumVar::Sex => Some("sex"),
            StratumVar::Ethnicity => Some("ethnicity"),
            StratumVar::La => Some("LA"),
        }
    }
}

/// One stratum of a stratification: its label (`all`, `3`, `female`, `3:female`).
/// Strata sort by their labels, as every output lists them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stratum(String);

impl Stratum {
    /// The one stratum of [`Stratification::ALL`].
    pub fn all() -> Stratum {
        Stratum("all".to_owned())
    }

    /// The stratum labelled `label`.
    pub fn new(label: impl Into<String>) -> Stratum {
        Stratum(label.into())
    }

    /// Its label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Stratum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Stratum variables that can be crossed, in the order their labels are joined.
const CROSSABLE: [StratumVar; 4] = [
    StratumVar::IdaciDecile,
    StratumVar::Sex,
    StratumVar::Ethnicity,
    StratumVar::La,
];

/// One way of splitting children: everyone (`all`), one stratum variable
/// (`idaci_decile`), or several crossed (`idaci_decile:sex`, whose strata are
/// `1:female`, `1:male`, ...). Written and parsed with `:` between variables, as R
/// writes an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stratification(u8);

impl Stratification {
    /// Everyone together.
    pub const ALL: Stratification = Stratification(0);

    /// The variables crossed, in label order (none for `all`).
    pub fn vars(self) -> impl Iterator<Item = StratumVar> {
        CROSSABLE
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, v)| v)
    }

    /// Name in outputs (`stratum_var`).
    pub fn name(self) -> String {
        if self == Stratification::ALL {
            return "all".to_owned();
        }
        self.vars()
            .map(StratumVar::as_str)
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Parses `all`, a variable, or variables joined by `:`.
    pub fn parse(s: &str) -> Option<Stratification> {
        let mut bits = 0u8;
        for part in s.split(':') {
            match StratumVar::parse(part)? {
                StratumVar::All => {}
                v => bits |= 1 << CROSSABLE.iter().position(|c| *c == v)?,
            }
        }
        Some(Stratification(bits))
    }

    /// Whether `var` is one of the variables crossed.
    pub fn contains(self, var: StratumVar) -> bool {
        self.vars().any(|v| v == var)
    }

    /// The stratum of an event (`None`: a variable's value is unknown).
    pub fn event_stratum(
        self,
        event: &Event,
        set: &EpisodeSet,
        children: &ChildTable,
    ) -> Option<Stratum> {
        self.join(|v| event_label(v, event, set, children))
    }

    /// A number for the values an event's stratum depends on: events with equal codes
    /// are in the same stratum, so a label need be made once per code
    /// ([`Stratification::event_stratum`]). `None` exactly when the stratum is.
    pub fn event_code(self, event: &Event, set: &EpisodeSet, children: &ChildTable) -> Option<u64> {
        let mut code = 0u64;
        for v in self.vars() {
            code = code << 16 | u64::from(event_value(v, event, set, children)?);
        }
        Some(code)
    }

    /// The stratum whose per-variable labels are `label`'s, joined with `:` (`all` for
    /// everyone).
    pub fn join(self, mut label: impl FnMut(StratumVar) -> Option<String>) -> Option<Stratum> {
        if self == Stratification::ALL {
            return Some(Stratum::all());
        }
        let parts: Option<Vec<String>> = self.vars().map(&mut label).collect();
        parts.map(|p| Stratum(p.join(":")))
    }
}

impl From<StratumVar> for Stratification {
    fn from(v: StratumVar) -> Stratification {
        Stratification::parse(v.as_str()).expect("every stratum variable parses")
    }
}

impl std::fmt::Display for Stratification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Stratification {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Stratification {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Stratification, D::Error> {
        let text = String::deserialize(d)?;
        Stratification::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown stratification {text:?}: use idaci_decile, sex, ethnicity, la, or several joined by ':'"
            ))
        })
    }
}

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

/// The value [`event_label`] makes its label from, as a number (`None`: unknown).
fn event_value(
    var: StratumVar,
    event: &Event,
    set: &EpisodeSet,
    children: &ChildTable,
) -> Option<u16> {
    let c = event.child.index();
    let e = event.episode as usize;
    match var {
        StratumVar::All => Some(0),
        StratumVar::IdaciDecile => set.idaci_decile[e]
            .or(children.idaci_decile[c])
            .map(u16::from),
        StratumVar::Sex => children.sex[c].map(|s| u16::from(s.code())),
        StratumVar::Ethnicity => children.ethnicity[c].map(|x| x.index() as u16),
        StratumVar::La => set.la[e],
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

/// What every value of a denominator stratum column should look like, whether or not the
/// study asks for that stratum: the stratum ([`expectation`]), and why a total row cannot
/// stay.
pub fn expectation_in_a_file(var: StratumVar) -> String {
    format!(
        "{} (a total or unknown row would be added to the population of every cell; \
         remove it)",
        expectation(var)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratifications_parse_and_name_in_a_fixed_order() {
        let s = Stratification::parse("sex:idaci_decile").unwrap();
        assert_eq!(s.name(), "idaci_decile:sex");
        assert_eq!(Stratification::parse("idaci:sex"), Some(s));
        assert_eq!(Stratification::parse("all"), Some(Stratification::ALL));
        assert_eq!(Stratification::ALL.name(), "all");
        assert_eq!(Stratification::from(StratumVar::La).name(), "la");
        assert!(Stratification::parse("idaci_decile:nonsense").is_none());
        assert!(s.contains(StratumVar::Sex) && !s.contains(StratumVar::La));
        let label = s.join(|v| Some(if v == StratumVar::Sex { "female" } else { "3" }.to_owned()));
        assert_eq!(label.as_ref().map(Stratum::as_str), Some("3:female"));
        assert_eq!(s.join(|v| (v == StratumVar::Sex).then(String::new)), None);
    }
}
