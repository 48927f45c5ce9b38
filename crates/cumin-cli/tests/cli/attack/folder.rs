//! An output folder as the attacker receives it: every file in it, whatever the manifest
//! says, with the manifest's labels beside them.

use std::collections::BTreeMap;
use std::path::Path;

/// A CSV (or Parquet) table: header and rows of text, numbers as the file shows them.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Index of column `name` (panics if missing: the file is not what the attack knows).
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// Index of column `name`, if present.
    pub fn has(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A number as shown, `None` when blank.
    pub fn num(row: &[String], c: usize) -> Option<f64> {
        let t = row[c].trim();
        if t.is_empty() { None } else { t.parse().ok() }
    }

    fn from_csv(text: &str) -> Table {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = r
            .headers()
            .map(|h| h.iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let rows = r
            .records()
            .filter_map(Result::ok)
            .map(|rec| rec.iter().map(str::to_owned).collect())
            .collect();
        Table { header, rows }
    }
}

/// What the manifest says of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Label {
    /// Listed for release (after output checking).
    Release,
    /// Listed as not for release (analyst-only, audit, row-level).
    NotForRelease,
    /// In the folder but not in its manifest: left by an earlier run, or added by hand.
    Unlisted,
}

/// A folder: its files by path relative to the folder.
pub struct Folder {
    /// The profile the manifest names (`none` when there is no manifest).
    pub profile: String,
    /// Every file, with its label.
    pub files: BTreeMap<String, Label>,
    /// CSV and Parquet tables by file (Parquet as text, formatted as the CSV writer does).
    pub tables: BTreeMap<String, Table>,
    /// HTML and SVG text by file.
    pub texts: BTreeMap<String, String>,
    /// Rows read per input file (by file name), as the manifest states them.
    pub input_rows: BTreeMap<String, i64>,
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, base, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

impl Folder {
    /// Reads every file under `dir`.
    pub fn read(dir: &Path) -> Folder {
        let mut names = Vec::new();
        walk(dir, dir, &mut names);
        names.sort();
        let manifest: Option<serde_json::Value> =
            std::fs::read_to_string(dir.join("manifest.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
        let profile = manifest
            .as_ref()
            .and_then(|m| m["sdc"]["profile"].as_str())
            .unwrap_or("none")
            .to_owned();
        let mut listed: BTreeMap<String, String> = BTreeMap::new();
        if let Some(files) = manifest.as_ref().and_then(|m| m["files"].as_array()) {
            for f in files {
                let name = f["name"].as_str().unwrap_or_default().to_owned();
                let release = f["release"].as_str().unwrap_or_default().to_owned();
                listed.insert(name, release);
            }
        }
        let mut input_rows = BTreeMap::new();
        if let Some(inputs) = manifest.as_ref().and_then(|m| m["inputs"].as_array()) {
            for i in inputs {
                if let (Some(path), Some(rows)) = (i["path"].as_str(), i["rows"].as_i64()) {
                    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
                    input_rows.insert(base.to_owned(), rows);
                }
            }
        }
        let mut files = BTreeMap::new();
        let mut tables = BTreeMap::new();
        let mut texts = BTreeMap::new();
        for name in names {
            let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
            let label = match listed.get(&name).or_else(|| listed.get(&base)) {
                _ if name == "manifest.json" => Label::Release,
                _ if name.starts_with("analyst-only/") => Label::NotForRelease,
                None => Label::Unlisted,
                Some(l) if is_not_for_release(l) => Label::NotForRelease,
                Some(_) => Label::Release,
            };
            let path = dir.join(&name);
            if has_ext(&name, "csv") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                tables.insert(name.clone(), Table::from_csv(&text));
            } else if has_ext(&name, "parquet") {
                if let Some(t) = read_parquet(&path) {
                    tables.insert(name.clone(), t);
                }
            } else if has_ext(&name, "html") || has_ext(&name, "svg") {
                texts.insert(
                    name.clone(),
                    std::fs::read_to_string(&path).unwrap_or_default(),
                );
            }
            files.insert(name, label);
        }
        Folder {
            profile,
            files,
            tables,
            texts,
            input_rows,
        }
    }

    /// Whether the attacker may use `file`: everything an output checker could be handed
    /// as released — files listed for release and files the manifest does not list.
    pub fn released(&self, file: &str) -> bool {
        self.files
            .get(file)
            .is_some_and(|l| *l != Label::NotForRelease)
    }

    /// The released tables whose file name (without folder and extension) is `stem`.
    pub fn tables_named<'a>(
        &'a self,
        stem: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Table)> + 'a {
        self.tables.iter().filter_map(move |(name, t)| {
            let base = name.rsplit('/').next().unwrap_or(name);
            let s = base.split('.').next().unwrap_or(base);
            (s == stem && self.released(name)).then_some((name.as_str(), t))
        })
    }

    /// Every table (released or not) whose file name without extension is `stem`.
    pub fn any_named<'a>(
        &'a self,
        stem: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Table)> + 'a {
        self.tables.iter().filter_map(move |(name, t)| {
            let base = name.rsplit('/').next().unwrap_or(name);
            (base.split('.').next() == Some(stem)).then_some((name.as_str(), t))
        })
    }

    /// Every text file (released or not) matching `pred`: the truth of a `none` folder,
    /// all of whose files are marked not for release.
    pub fn any_text_where<'a>(
        &'a self,
        pred: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.texts
            .iter()
            .filter(move |(n, _)| pred(n))
            .map(|(n, t)| (n.as_str(), t.as_str()))
    }

    /// The released text files matching `pred`.
    pub fn texts_where<'a>(
        &'a self,
        pred: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.texts
            .iter()
            .filter(move |(n, _)| pred(n) && self.released(n))
            .map(|(n, t)| (n.as_str(), t.as_str()))
    }
}

/// Whether `name` ends in `.ext` (any case).
pub fn has_ext(name: &str, ext: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Whether a manifest label withholds its file from release.
pub fn is_not_for_release(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("not for release")
        || l.starts_with("audit")
        || l.contains("analyst only")
        || l.contains("analyst-only")
}

/// Formats a number as `cumin_report::write::number` does.
fn number(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(v) if v.is_nan() => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v}"),
    }
}

fn read_parquet(path: &Path) -> Option<Table> {
    use arrow_array::{Array, BooleanArray, Float64Array, StringArray, UInt8Array};
    let file = std::fs::File::open(path).ok()?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .ok()?
        .build()
        .ok()?;
    let mut table = Table::default();
    for batch in reader {
        let batch = batch.ok()?;
        if table.header.is_empty() {
            table.header = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
        }
        let cols = batch.columns();
        for i in 0..batch.num_rows() {
            let row = cols
                .iter()
                .map(|c| {
                    let a = c.as_any();
                    if c.is_null(i) {
                        String::new()
                    } else if let Some(s) = a.downcast_ref::<StringArray>() {
                        s.value(i).to_owned()
                    } else if let Some(f) = a.downcast_ref::<Float64Array>() {
                        number(Some(f.value(i)))
                    } else if let Some(u) = a.downcast_ref::<UInt8Array>() {
                        u.value(i).to_string()
                    } else if let Some(b) = a.downcast_ref::<BooleanArray>() {
                        b.value(i).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect();
            table.rows.push(row);
        }
    }
    Some(table)
}

/// The cells of the first `<table>` after the heading `h2` in an HTML page.
pub fn html_table(html: &str, h2: &str) -> Vec<Vec<String>> {
    let Some(start) = html.find(&format!("<h2>{h2}</h2>")) else {
        return Vec::new();
    };
    let rest = &html[start..];
    let Some(t0) = rest.find("<table>") else {
        return Vec::new();
    };
    let t1 = rest[t0..].find("</table>").map_or(rest.len(), |e| t0 + e);
    rest[t0..t1]
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            tr.split("<td>")
                .skip(1)
                .map(|td| td.split("</td>").next().unwrap_or_default().to_owned())
                .collect::<Vec<String>>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}
