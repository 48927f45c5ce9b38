//! A simulated child's first event of each outcome, the truth every estimate is checked
//! against.

use crate::child::Child;
use cumin_census::Outcome;

/// First-event age per outcome (−1..=17), or `None` if none before 18.
pub fn first_ages(child: &Child) -> [Option<i8>; 5] {
    let mut out = [None; 5];
    for e in &child.episodes {
        for o in Outcome::ALL {
            let date = match o {
                Outcome::Referral => Some(e.referral),
                Outcome::Assessed => (!e.nfa).then_some(e.referral),
                Outcome::Cin => (!e.nfa && e.reason != cumin_census::codes::RC_NO_FURTHER_ACTION)
                    .then_some(e.referral),
                Outcome::S47 => match (e.s47, e.icpc) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                Outcome::Cpp => e.cpp_start,
            };
            let Some(date) = date else { continue };
            let age = cumin_census::age_at(child.dob, date);
            if age > 17 {
                continue;
            }
            let slot = &mut out[o.index()];
            if slot.is_none_or(|a| (age as i8) < a) {
                *slot = Some(age as i8);
            }
        }
    }
    out
}
