//! How the report writes a number: every statistic is a `<data value="…">` element whose
//! value is the released cell exactly as its CSV writes it, and whose text is that value
//! formatted for the reader (a percentage to one decimal, a count with thousands
//! separators, a ratio to two decimals). A cell with no number gets a DfE symbol instead.
//! The report's guard test reads these elements back and finds each value in a released
//! table of the same run.

use crate::write::number;

/// DfE's symbols for a cell without a number (GSS/DfE statistics practice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// `c`: withheld by disclosure control (confidential).
    Withheld,
    /// `z`: not applicable (the measure has no meaning here).
    NotApplicable,
    /// `:`: not available (not estimated in this run or these data).
    NotAvailable,
}

impl Symbol {
    /// The symbol as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::Withheld => "c",
            Symbol::NotApplicable => "z",
            Symbol::NotAvailable => ":",
        }
    }

    /// The symbol as an HTML cell: marked so the footnote explains it.
    pub fn html(self) -> String {
        format!(
            "<abbr class=\"sym\" title=\"{}\">{}</abbr>",
            self.meaning(),
            self.as_str()
        )
    }

    /// What it means, for the footnote and the tooltip.
    pub fn meaning(self) -> &'static str {
        match self {
            Symbol::Withheld => "withheld by disclosure control (confidential)",
            Symbol::NotApplicable => "not applicable",
            Symbol::NotAvailable => "not available",
        }
    }
}

/// The footnote every table with symbols carries.
pub fn symbols_footnote() -> String {
    format!(
        "<p class=\"note\">{}</p>",
        [
            Symbol::Withheld,
            Symbol::NotApplicable,
            Symbol::NotAvailable
        ]
        .iter()
        .map(|s| format!("<b>{}</b> {}", s.as_str(), s.meaning()))
        .collect::<Vec<_>>()
        .join("; ")
    )
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a released value is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A proportion as a percentage to one decimal (`0.3821` → `38.2`).
    Percent,
    /// A proportion as a whole number of percentage points (`0.3821` → `38`).
    PerHundred,
    /// A proportion per thousand, whole (`0.0682` → `68`).
    PerThousand,
    /// A count, whole, with thousands separators (`20500` → `20,500`).
    Count,
    /// A ratio or index to two decimals.
    Ratio,
}

/// The text of `v` shown as `how`.
pub fn text(v: f64, how: Shown) -> String {
    match how {
        Shown::Percent => format!("{:.1}", 100.0 * v),
        Shown::PerHundred => format!("{:.0}", 100.0 * v),
        Shown::PerThousand => format!("{:.0}", 1000.0 * v),
        Shown::Count => thousands(v),
        Shown::Ratio => format!("{v:.2}"),
    }
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 && s != "0" {
        out.insert(0, '-');
    }
    out
}

/// A released value as HTML: `<data>` with the value as released, or `symbol` when
/// there is none (blank or not a number).
pub fn value(v: Option<f64>, how: Shown, symbol: Symbol) -> String {
    match v {
        Some(v) if v.is_finite() => {
            format!(
                "<data value=\"{}\">{}</data>",
                number(Some(v)),
                text(v, how)
            )
        }
        _ => symbol.html(),
    }
}

/// A percentage with its interval: `38.2% (31.4% to 40.4%)`; a symbol for what is
/// missing.
pub fn percent_with_interval(
    est: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    symbol: Symbol,
) -> String {
    let Some(_) = est.filter(|v| v.is_finite()) else {
        return symbol.html();
    };
    format!(
        "{}% ({}% to {}%)",
        value(est, Shown::Percent, symbol),
        value(lower, Shown::Percent, symbol),
        value(upper, Shown::Percent, symbol)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_the_released_cell_and_show_it_rounded() {
        assert_eq!(
            value(Some(0.38214), Shown::Percent, Symbol::Withheld),
            "<data value=\"0.38214\">38.2</data>"
        );
        assert_eq!(
            value(Some(20500.0), Shown::Count, Symbol::Withheld),
            "<data value=\"20500\">20,500</data>"
        );
        assert_eq!(text(1_234_567.0, Shown::Count), "1,234,567");
        assert_eq!(text(-1200.0, Shown::Count), "-1,200");
        assert_eq!(text(999.0, Shown::Count), "999");
        assert_eq!(text(2.401, Shown::Ratio), "2.40");
    }

    #[test]
    fn missing_values_get_the_dfe_symbols() {
        assert!(value(None, Shown::Percent, Symbol::Withheld).contains(">c</abbr>"));
        assert!(value(Some(f64::NAN), Shown::Count, Symbol::Withheld).contains(">c</abbr>"));
        assert!(value(None, Shown::Ratio, Symbol::NotApplicable).contains(">z</abbr>"));
        assert!(value(None, Shown::Ratio, Symbol::NotAvailable).contains(">:</abbr>"));
        let f = symbols_footnote();
        assert!(
            f.contains("<b>c</b> withheld") && f.contains("<b>z</b>") && f.contains("<b>:</b>")
        );
        assert_eq!(
            percent_with_interval(None, Some(0.1), Some(0.2), Symbol::Withheld),
            Symbol::Withheld.html()
        );
    }
}
