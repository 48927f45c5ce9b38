//! One written row as values, before it becomes CSV text or Parquet columns, so both files
//! hold exactly the same thing.

use cumin_census::Date;
use std::fmt;

/// Short ASCII text kept inline (identifiers, census years, spoilt dates): rows are made
/// by the million, and a heap string per field would dominate the cost.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Short {
    len: u8,
    bytes: [u8; 23],
}

impl Short {
    /// Empty text.
    pub const EMPTY: Short = Short {
        len: 0,
        bytes: [0; 23],
    };

    /// The text of `args`, cut at 23 bytes (nothing written here is longer).
    pub fn format(args: fmt::Arguments<'_>) -> Short {
        let mut s = Short::EMPTY;
        fmt::Write::write_fmt(&mut s, args).expect("writing to a Short cannot fail");
        s
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("ASCII only")
    }
}

impl fmt::Write for Short {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let at = usize::from(self.len);
        let n = s.len().min(self.bytes.len() - at);
        self.bytes[at..at + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n as u8;
        Ok(())
    }
}

impl fmt::Debug for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One field of a row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// Empty.
    Null,
    /// A whole number.
    Int(i32),
    /// Fixed text.
    Str(&'static str),
    /// A date, written `YYYY-MM-DD`.
    Date(Date),
    /// Other text.
    Text(Short),
}

impl Cell {
    /// Appends the field's text (nothing for `Null`) to `out`.
    pub fn push_text(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Null => {}
            Cell::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Cell::Str(s) => out.extend_from_slice(s.as_bytes()),
            Cell::Date(d) => push_iso_date(out, *d),
            Cell::Text(s) => out.extend_from_slice(s.as_str().as_bytes()),
        }
    }

    /// The whole number, if the field holds one.
    pub fn int(&self) -> Option<i32> {
        match self {
            Cell::Int(v) => Some(*v),
            _ => None,
        }
    }
}

/// Appends `YYYY-MM-DD`.
pub fn push_iso_date(out: &mut Vec<u8>, d: Date) {
    let (y, m, dd) = d.to_ymd();
    let mut b = itoa::Buffer::new();
    let year = b.format(y);
    for _ in year.len()..4 {
        out.push(b'0');
    }
    out.extend_from_slice(year.as_bytes());
    out.extend_from_slice(&[
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (dd / 10) as u8,
        b'0' + (dd % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: Cell) -> String {
        let mut v = Vec::new();
        c.push_text(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn cells_write_as_the_reader_expects() {
        assert_eq!(text(Cell::Date(Date::ymd(2013, 4, 1))), "2013-04-01");
        assert_eq!(text(Cell::Date(Date::ymd(1753, 1, 1))), "1753-01-01");
        assert_eq!(text(Cell::Int(-3)), "-3");
        assert_eq!(text(Cell::Null), "");
        assert_eq!(
            text(Cell::Text(Short::format(format_args!("P{:016X}", 255u64)))),
            "P00000000000000FF"
        );
        assert_eq!(
            Short::format(format_args!("{}", "x".repeat(40)))
                .as_str()
                .len(),
            23
        );
    }
}
