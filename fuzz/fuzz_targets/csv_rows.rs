//! Arbitrary bytes through cumin's CSV reader and cleaning rules (`read_csv_bytes`, the
//! path `read_extract` takes once a file is opened). The first input byte chooses the
//! batch size and whether the rest is a whole file or data rows under a valid header,
//! so that most inputs reach the row parser and the cleaning rules.
//!
//! Checks: no panic; an error names the file and is never a ledger imbalance; a read
//! file balances (`read = used + quarantined + excluded`) and, with exclusions made
//! impossible, every data row number appears exactly once, kept or quarantined.

#![no_main]

use cumin_census::{
    CensusError, CensusYear, CleaningRules, Date, EntryKind, ReadOptions, read_csv_bytes,
};
use libfuzzer_sys::fuzz_target;

const NAME: &str = "fuzz.csv";

/// A header with every column the cleaning rules read.
const HEADER: &[u8] = b"ACADYR,LA,CIN_LA,LAchildID_Anon,PupilMatchingRefAnonymous,Gender,\
Ethnicity,MonthOfBirth,YearOfBirth,ExpectedDOB,CINreferralDate,CINclosureDate,\
LatestReferralDate,LatestClosureDate,ReferralNFA,ReasonForClosure,PrimaryNeedCode,\
AssessmentActualStartDate,Section47ActualStartDate,DateOfInitialCPC,CPPstartDate,\
CPPendDate,IDACI_Decile\n";

fn check(bytes: &[u8], options: &ReadOptions, strict: bool) {
    let e = match read_csv_bytes(NAME, bytes.to_vec(), options) {
        Ok(e) => e,
        Err(CensusError::Ledger(imbalance)) => panic!("ledger imbalance: {imbalance}"),
        // The extract's own census years are checked as a whole: a missing year is in no
        // file.
        Err(CensusError::CensusYears(_)) => return,
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains(NAME), "error without the file name: {message}");
            return;
        }
    };
    let read = e.ledger.total(0, EntryKind::Read);
    let kept = e.episodes.len() as u64;
    let quarantined = e.ledger.total(0, EntryKind::Quarantined);
    let excluded = e.ledger.total(0, EntryKind::Excluded);
    assert_eq!(read, e.files[0].rows);
    assert_eq!(read, kept + quarantined + excluded, "ledger does not balance");
    assert_eq!(e.ledger.quarantined_rows().len() as u64, quarantined);
    if strict {
        assert_eq!(excluded, 0);
        let mut rows: Vec<u64> = e
            .episodes
            .source_row
            .iter()
            .map(|r| u64::from(*r))
            .chain(e.ledger.quarantined_rows().iter().map(|q| q.row))
            .collect();
        rows.sort_unstable();
        assert!(
            rows.iter().copied().eq(1..=read),
            "row numbers are not 1..={read} once each"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = Vec::with_capacity(HEADER.len() + rest.len());
    if mode & 1 == 1 {
        bytes.extend_from_slice(HEADER);
    }
    bytes.extend_from_slice(rest);
    let batch_size = usize::from(mode >> 1) + 1;
    // No referral can be before a data start of 1930 (earlier dates are cleaned away),
    // and every census year that can be read is stated, so every row is kept or
    // quarantined.
    let strict = ReadOptions {
        rules: CleaningRules {
            data_start: Date::ymd(1930, 1, 1),
            ..CleaningRules::default()
        },
        batch_size,
        census_years: Some((CensusYear(1990), CensusYear(2100))),
        ..ReadOptions::default()
    };
    check(&bytes, &strict, true);
    let default = ReadOptions {
        batch_size,
        ..ReadOptions::default()
    };
    check(&bytes, &default, false);
});
