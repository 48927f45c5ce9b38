//! Writing output files: each table's header is its description's ([`crate::spec`]).

use crate::sdc::{AnalystOnly, LedgerLine, Released};
use crate::spec;
use crate::tables::{CiRow, LinkageRow, TrendRow};
use arrow_array::RecordBatch;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, StringArray, UInt8Array};
use arrow_schema::{DataType, Field, Schema};
use cumin_estimate::{
    BackwardHazard, CorrectionBound, CorrectionCell, InequalityMeasure, Recurrence, Unplaced,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An output file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// File system.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Encoding.
    #[error("cannot write {path}: {message}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_owned(),
        source,
    }
}

fn encode_err(path: &Path, e: &dyn std::fmt::Display) -> ReportError {
    ReportError::Encode {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Formats an optional number: blank when missing or withheld (NaN), integers without a
/// decimal point.
pub fn number(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(v) if v.is_nan() => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v}"),
    }
}

/// Writes text atomically enough for our purposes: to the path, creating parents.
pub fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    std::fs::write(path, text).map_err(io_err(path))
}

pub(crate) fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for r in rows {
        w.write_record(&r).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 is UTF-8")
}

fn ci_fields(r: &CiRow) -> Vec<String> {
    vec![
        r.outcome.as_str().to_owned(),
        r.estimator.as_str().to_owned(),
        r.id_mode.as_str().to_owned(),
        r.by.name(),
        r.stratum.as_str().to_owned(),
        r.age.to_string(),
        number(r.events),
        number(r.at_risk),
        number(r.cum_inc),
        number(r.lower),
        number(r.upper),
        r.suppressed.to_string(),
    ]
}

fn step_from(r: &CiRow) -> String {
    r.step_from.map_or(String::new(), |a| a.to_string())
}

/// Writes a curve table (`cumulative_incidence.csv`, `sensitivity.csv`).
pub fn write_ci_csv(path: &Path, rows: &Released<Vec<CiRow>>) -> Result<(), ReportError> {
    let body = rows.get().iter().map(|r| {
        let mut f = ci_fields(r);
        f.push(step_from(r));
        f
    });
    write_text(path, &csv_text(&rows.spec().header(), body))
}

/// Writes `trend.csv`: the columns of `cumulative_incidence.csv`, `period` before
/// `step_from`.
pub fn write_trend_csv(path: &Path, rows: &Released<Vec<TrendRow>>) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::TREND.header(),
        rows.get().iter().map(|r| {
            let mut f = ci_fields(&r.ci);
            f.push(r.period.to_string());
            f.push(step_from(&r.ci));
            f
        }),
    );
    write_text(path, &text)
}

/// Writes `inequality.csv`.
pub fn write_inequality_csv(
    path: &Path,
    rows: &Released<Vec<InequalityMeasure>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::INEQUALITY.header(),
        rows.get().iter().map(|r| {
            vec![
                r.outcome.as_str().to_owned(),
                r.estimator.as_str().to_owned(),
                r.age.to_string(),
                r.measure.as_str().to_owned(),
                number(Some(r.value)),
                number(Some(r.lower)),
                number(Some(r.upper)),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `recurrence.csv`.
pub fn write_recurrence_csv(
    path: &Path,
    rows: &Released<Vec<Recurrence>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::RECURRENCE.header(),
        rows.get().iter().map(|r| {
            vec![
                r.outcome.as_str().to_owned(),
                r.first_year.0.to_string(),
                r.years_after.to_string(),
                number(Some(r.children)),
                number(Some(r.recurred)),
                number(r.share),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `analyst-only/corrections.csv`.
pub fn write_corrections_csv(
    path: &Path,
    rows: &AnalystOnly<Vec<CorrectionCell>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::CORRECTIONS.header(),
        rows.get().iter().map(|r| {
            vec![
                r.outcome.as_str().to_owned(),
                r.by.name(),
                r.stratum.as_str().to_owned(),
                r.cohort.0.to_string(),
                r.age.to_string(),
                r.entry_age.to_string(),
                number(Some(r.first_observed)),
                number(Some(r.first_in_observed_years)),
                number(Some(r.factor)),
                number(Some(r.extrapolated_factor)),
                number(Some(r.corrected)),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `analyst-only/correction_model.csv`.
pub fn write_backward_hazards_csv(
    path: &Path,
    rows: &AnalystOnly<Vec<BackwardHazard>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::CORRECTION_MODEL.header(),
        rows.get().iter().map(|r| {
            vec![
                r.outcome.as_str().to_owned(),
                r.by.name(),
                r.stratum.as_str().to_owned(),
                r.age.to_string(),
                r.earlier_age.to_string(),
                number(Some(r.children)),
                number(Some(r.with_event)),
                number(Some(r.hazard)),
                r.source.as_str().to_owned(),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `analyst-only/correction_sensitivity.csv`.
pub fn write_bounds_csv(
    path: &Path,
    rows: &AnalystOnly<Vec<CorrectionBound>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::CORRECTION_SENSITIVITY.header(),
        rows.get().iter().map(|r| {
            vec![
                r.outcome.as_str().to_owned(),
                r.estimator.as_str().to_owned(),
                r.by.name(),
                r.stratum.as_str().to_owned(),
                r.age.to_string(),
                number(Some(r.no_correction)),
                number(Some(r.observed_only)),
                number(Some(r.corrected)),
                number(Some(r.extrapolation_error)),
                number(Some(r.stratification_extrapolation_error)),
                number(Some(r.form_spread)),
                number(Some(r.split_sd)),
                number(Some(r.extrapolation_sd)),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `cumulative_incidence.parquet` (same columns, typed).
pub fn write_ci_parquet(path: &Path, rows: &Released<Vec<CiRow>>) -> Result<(), ReportError> {
    let rows = rows.get();
    let text = |f: &dyn Fn(&CiRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let num = |f: &dyn Fn(&CiRow) -> Option<f64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Float64Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|r| r.outcome.as_str().to_owned()),
        text(&|r| r.estimator.as_str().to_owned()),
        text(&|r| r.id_mode.as_str().to_owned()),
        text(&|r| r.by.name()),
        text(&|r| r.stratum.as_str().to_owned()),
        Arc::new(UInt8Array::from_iter_values(
            rows.iter()
                .map(|r| u8::try_from(r.age.0).expect("ages 0..=17")),
        )),
        num(&|r| r.events),
        num(&|r| r.at_risk),
        num(&|r| r.cum_inc),
        num(&|r| r.lower),
        num(&|r| r.upper),
        Arc::new(
            rows.iter()
                .map(|r| Some(r.suppressed))
                .collect::<BooleanArray>(),
        ),
        Arc::new(
            rows.iter()
                .map(|r| r.step_from.map(|a| u8::try_from(a.0).expect("ages 0..=17")))
                .collect::<UInt8Array>(),
        ),
    ];
    let types = [
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::UInt8,
        DataType::Float64,
        DataType::Float64,
        DataType::Float64,
        DataType::Float64,
        DataType::Float64,
        DataType::Boolean,
        DataType::UInt8,
    ];
    let schema = Arc::new(Schema::new(
        spec::CUMULATIVE_INCIDENCE_PARQUET
            .header()
            .iter()
            .zip(types)
            .map(|(n, t)| Field::new(*n, t, true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| encode_err(path, &e))?;
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_created_by(concat!("cumin ", env!("CARGO_PKG_VERSION")).to_owned())
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props))
        .map_err(|e| encode_err(path, &e))?;
    w.write(&batch).map_err(|e| encode_err(path, &e))?;
    w.close().map_err(|e| encode_err(path, &e))?;
    Ok(())
}

fn linkage_text(rows: &[LinkageRow], header: &[&str]) -> String {
    csv_text(
        header,
        rows.iter().map(|r| {
            vec![
                r.id_mode.as_str().to_owned(),
                r.measure.to_string(),
                number(Some(r.value)),
            ]
        }),
    )
}

/// Writes `linkage.csv`.
pub fn write_linkage_csv(path: &Path, rows: &Released<Vec<LinkageRow>>) -> Result<(), ReportError> {
    write_text(path, &linkage_text(rows.get(), &spec::LINKAGE.header()))
}

/// Writes `analyst-only/linkage_model.csv`.
pub fn write_linkage_model_csv(
    path: &Path,
    rows: &AnalystOnly<Vec<LinkageRow>>,
) -> Result<(), ReportError> {
    write_text(
        path,
        &linkage_text(rows.get(), &spec::LINKAGE_MODEL.header()),
    )
}

/// Writes `strata.csv`.
pub fn write_unplaced_csv(path: &Path, rows: &Released<Vec<Unplaced>>) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::STRATA.header(),
        rows.get().iter().map(|r| {
            vec![
                r.by.name(),
                r.outcome.as_str().to_owned(),
                number(Some(r.event_years)),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `ledger.csv`: file, reason, rows — every input row accounted for.
pub fn write_ledger_csv(
    path: &Path,
    ledger: &AnalystOnly<Vec<LedgerLine>>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::LEDGER.header(),
        ledger
            .get()
            .iter()
            .map(|l| vec![l.file.clone(), l.reason.clone(), number(Some(l.rows))]),
    );
    write_text(path, &text)
}

/// Writes `quarantine.csv`: file, row, reason, detail (stays with the analyst): the
/// quarantined rows and the unreadable values set missing.
pub fn write_quarantine_csv(
    path: &Path,
    ledger: &AnalystOnly<&cumin_census::Ledger>,
) -> Result<(), ReportError> {
    let ledger = ledger.get();
    let files = ledger.files();
    let text = csv_text(
        &spec::QUARANTINE.header(),
        ledger.quarantine_lines().into_iter().map(|q| {
            vec![
                files[usize::from(q.file)].clone(),
                q.row.to_string(),
                q.reason.to_owned(),
                q.detail.clone(),
            ]
        }),
    );
    write_text(path, &text)
}

/// Writes `notes.csv`: file, column, rule, rows, action, examples (stays with the
/// analyst): the cleaning notes of the terminal, in file order.
pub fn write_notes_csv(
    path: &Path,
    notes: &AnalystOnly<&[cumin_census::Note]>,
) -> Result<(), ReportError> {
    let text = csv_text(
        &spec::NOTES.header(),
        notes.get().iter().map(|n| {
            vec![
                n.file.clone(),
                n.column.clone(),
                n.rule.to_owned(),
                n.rows.to_string(),
                n.action.clone(),
                n.examples.clone(),
            ]
        }),
    );
    write_text(path, &text)
}

/// BLAKE3 of a file, hex.
pub fn hash_file(path: &Path) -> Result<String, ReportError> {
    let mut h = blake3::Hasher::new();
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    std::io::copy(&mut f, &mut h).map_err(io_err(path))?;
    Ok(h.finalize().to_hex().to_string())
}

/// Writes pretty JSON with a final newline.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), ReportError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| encode_err(path, &e))?;
    text.push('\n');
    let mut f = std::fs::File::create(path).map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}
