//! Numeric CSV with a header row into a [`Table`]; a bad cell is reported with its file,
//! line and column, and the caller's line. Quoting and non-numeric columns are out of
//! scope.

use super::Dataset;
use std::fmt;
use std::panic::Location;
use std::path::Path;
use tapegrad_core::{ErrorKind, Float, Tensor};

/// Why a CSV file could not be read or used: where (file, 1-based line, 1-based column
/// and its header name when known), what, and the caller's source line.
///
/// Displays as `file:line, column k (`name`): what (at caller.rs:line:column)`;
/// [`kind`](Self::kind) is [`ErrorKind::Io`] for a file that cannot be read,
/// [`ErrorKind::Format`] for text that is not a numeric table, and
/// [`ErrorKind::InvalidArgument`] for a column name that is not in the header.
///
/// ```
/// use tapegrad_core::ErrorKind;
/// use tapegrad_nn::data::Table;
/// let err = Table::<f64>::parse("a,b\n1\n", "short.csv").unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::Format);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// What went wrong, in the engine's terms; read it with [`kind`](Self::kind). Boxed:
    /// the location fields already make this a large error to return.
    kind: Box<ErrorKind>,
    /// The file (or the name given to [`Table::parse`]).
    pub file: String,
    /// 1-based line number; `None` for errors about the whole file (unreadable, empty).
    pub line: Option<usize>,
    /// 1-based column number and its header name.
    pub column: Option<(usize, String)>,
    /// What is wrong.
    pub message: String,
    /// The caller's source location.
    pub location: &'static Location<'static>,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some((k, name)) = &self.column {
            write!(f, ", column {k} (`{name}`)")?;
        }
        let at = self.location;
        write!(
            f,
            ": {} (at {}:{}:{})",
            self.message,
            at.file(),
            at.line(),
            at.column()
        )
    }
}

impl CsvError {
    /// What went wrong, in the engine's terms.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl std::error::Error for CsvError {}

/// A numeric table: column names from the header, values `[rows, columns]`.
///
/// ```
/// use tapegrad_nn::data::Table;
/// let t = Table::<f64>::parse("a,b,y\n1,2,3\n4,5,6\n", "inline.csv").unwrap();
/// assert_eq!(t.columns(), ["a", "b", "y"]);
/// let data = t.dataset("y").unwrap();
/// assert_eq!(data.x().as_slice(), &[1.0, 2.0, 4.0, 5.0]);
/// assert_eq!(data.y().shape(), &[2, 1]);
///
/// let err = Table::<f64>::parse("a,b\n1,2\n3,x\n", "bad.csv").unwrap_err();
/// assert!(err.to_string().starts_with("bad.csv:3, column 2 (`b`): cannot parse `x` as a number (at "));
/// ```
#[derive(Clone, Debug)]
pub struct Table<T: Float> {
    file: String,
    columns: Vec<String>,
    values: Tensor<T>,
}

/// Options for [`read_csv_with`] and [`Table::parse_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Accept the tokens `nan`, `inf` and `infinity` (any case, with a sign). Off by
    /// default: in a data file they are usually a missing value written by another tool,
    /// and would poison every statistic computed from the column. A finite number beyond
    /// the element type's range (`1e999`, or `1e39` read as f32) is refused either way,
    /// since it would silently become infinite.
    pub allow_non_finite: bool,
}

/// Reads a numeric CSV file with a header row (see [`Table`]) with the default
/// [`CsvOptions`]: `nan` and `inf` cells are refused.
#[track_caller]
pub fn read_csv<T: Float>(path: impl AsRef<Path>) -> Result<Table<T>, CsvError> {
    read_csv_with(path, CsvOptions::default())
}

/// Reads a numeric CSV file with a header row (see [`Table::parse_with`]).
#[track_caller]
pub fn read_csv_with<T: Float>(
    path: impl AsRef<Path>,
    options: CsvOptions,
) -> Result<Table<T>, CsvError> {
    let (path, location) = (path.as_ref(), Location::caller());
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CsvError {
        kind: Box::new(ErrorKind::Io(e.kind())),
        file: file.clone(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
        location,
    })?;
    Table::parse_with(&text, &file, options)
}

/// The lines of `text` with their 1-based numbers, ended by `\n`, `\r\n` or a lone `\r`
/// (old Mac files), without the line ends.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.find(['\n', '\r']) {
            Some(i) => {
                let end = if t[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&t[end..]);
                Some(&t[..i])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
    .enumerate()
    .map(|(i, l)| (i + 1, l))
}

impl<T: Float> Table<T> {
    /// Parses CSV text with the default [`CsvOptions`] (`nan` and `inf` refused); see
    /// [`parse_with`](Self::parse_with).
    #[track_caller]
    pub fn parse(text: &str, file: &str) -> Result<Self, CsvError> {
        Self::parse_with(text, file, CsvOptions::default())
    }

    /// Parses CSV text; `file` names it in errors. A UTF-8 byte-order mark is skipped;
    /// lines may end in `\n`, `\r\n` or `\r`; fields are trimmed; blank lines are
    /// skipped. Header names must be distinct, every row must have as many fields as the
    /// header, and every cell must be a number that `T` can hold (non-finite ones only
    /// when `options` allow them).
    #[track_caller]
    pub fn parse_with(text: &str, file: &str, options: CsvOptions) -> Result<Self, CsvError> {
        let location = Location::caller();
        let err =
            |line: Option<usize>, column: Option<(usize, String)>, message: String| CsvError {
                kind: Box::new(ErrorKind::Format),
                file: file.to_string(),
                line,
                column,
                message,
                location,
            };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
        let (header_line, header) = lines
            .next()
            .ok_or_else(|| err(None, None, "empty file: no header row".into()))?;
        let columns: Vec<String> = header
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_string())
            .collect();
        if let Some(k) = columns.iter().position(String::is_empty) {
            return Err(err(
                Some(header_line),
                None,
                format!("header field {} is empty", k + 1),
            ));
        }
        for (k, name) in columns.iter().enumerate() {
            if let Some(first) = columns[..k].iter().position(|c| c == name) {
                return Err(err(
                    Some(header_line),
                    Some((k + 1, name.clone())),
                    format!("column `{name}` is also column {}", first + 1),
                ));
            }
        }
        let mut values = Vec::new();
        let mut rows = 0;
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').collect();
            if fields.len() != columns.len() {
                return Err(err(
                    Some(line),
                    None,
                    format!(
                        "{} fields, but the header has {}",
                        fields.len(),
                        columns.len()
                    ),
                ));
            }
            for (k, cell) in fields.iter().enumerate() {
                let cell = cell.trim();
                let at = || Some((k + 1, columns[k].clone()));
                let x: f64 = cell.parse().map_err(|_| {
                    err(
                        Some(line),
                        at(),
                        format!("cannot parse `{cell}` as a number"),
                    )
                })?;
                let value = T::from_f64(x);
                if !value.is_finite() {
                    let word = cell.trim_start_matches(['+', '-']).to_ascii_lowercase();
                    if !matches!(word.as_str(), "nan" | "inf" | "infinity") {
                        return Err(err(
                            Some(line),
                            at(),
                            format!("`{cell}` is beyond the range of {}", T::NAME),
                        ));
                    }
                    if !options.allow_non_finite {
                        return Err(err(
                            Some(line),
                            at(),
                            format!(
                                "`{cell}` is not a finite number (allowed only with \
                                 CsvOptions {{ allow_non_finite: true }})"
                            ),
                        ));
                    }
                }
                values.push(value);
            }
            rows += 1;
        }
        Ok(Table {
            file: file.to_string(),
            values: Tensor::from_vec(values, &[rows, columns.len()]),
            columns,
        })
    }

    /// The header names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// All values, `[rows, columns]`.
    pub fn values(&self) -> &Tensor<T> {
        &self.values
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.values.shape()[0]
    }

    /// The 0-based position of a column, or an error listing the columns there are.
    #[track_caller]
    pub fn position(&self, name: &str) -> Result<usize, CsvError> {
        let location = Location::caller();
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| CsvError {
                kind: Box::new(ErrorKind::InvalidArgument),
                file: self.file.clone(),
                line: Some(1),
                column: None,
                message: format!("no column `{name}`; the header has {:?}", self.columns),
                location,
            })
    }

    /// The named columns, in the order given, as `[rows, names.len()]`.
    #[track_caller]
    pub fn select(&self, names: &[&str]) -> Result<Tensor<T>, CsvError> {
        let mut idx = Vec::with_capacity(names.len());
        for name in names {
            idx.push(self.position(name)?);
        }
        Ok(self
            .values
            .index_select(1, &idx)
            .expect("positions are in range"))
    }

    /// A dataset: every column but `target` as inputs `[rows, columns - 1]`, `target` as
    /// targets `[rows, 1]`.
    #[track_caller]
    pub fn dataset(&self, target: &str) -> Result<Dataset<T>, CsvError> {
        let t = self.position(target)?;
        let inputs: Vec<usize> = (0..self.columns.len()).filter(|&k| k != t).collect();
        let x = self.values.index_select(1, &inputs).expect("in range");
        let y = self.values.index_select(1, &[t]).expect("in range");
        Ok(Dataset::new(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trimmed_fields_and_skips_blank_lines() {
        let t = Table::<f32>::parse("x , \"y\"\r\n 1.5, -2e3\r\n\n3,4\n", "t.csv").unwrap();
        assert_eq!(t.columns(), ["x", "y"]);
        assert_eq!(t.values().shape(), &[2, 2]);
        assert_eq!(t.values().as_slice(), &[1.5, -2000.0, 3.0, 4.0]);
        assert_eq!(t.select(&["y"]).unwrap().as_slice(), &[-2000.0, 4.0]);
    }

    #[test]
    fn bad_cell_error_names_file_line_and_column() {
        let e = Table::<f64>::parse("a,b,c\n1,2,3\n\n4,five,6\n", "data/x.csv").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert_eq!(e.column, Some((2, "b".to_string())));
        assert!(e
            .to_string()
            .starts_with("data/x.csv:4, column 2 (`b`): cannot parse `five` as a number (at "));
    }

    #[test]
    fn ragged_row_and_missing_things_are_errors() {
        let e = Table::<f64>::parse("a,b\n1,2,3\n", "r.csv").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("r.csv:2: 3 fields, but the header has 2 (at "));
        let e = Table::<f64>::parse("\n\n", "e.csv").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("e.csv: empty file: no header row (at "));
        let t = Table::<f64>::parse("a,b\n1,2\n", "t.csv").unwrap();
        let e = t.dataset("y").unwrap_err();
        assert!(e.to_string().contains("no column `y`"), "{e}");
        let e = read_csv::<f64>("/nonexistent/file.csv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/file.csv: cannot read"),
            "{e}"
        );
    }

    #[test]
    fn lf_crlf_and_cr_only_line_ends_read_the_same() {
        let want = Table::<f64>::parse("a,b\n1,2\n3,4\n", "lf.csv").unwrap();
        for text in [
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\r1,2\r3,4\r",
            "a,b\r1,2\n\n3,4",
        ] {
            let t = Table::<f64>::parse(text, "t.csv").unwrap();
            assert_eq!(t.columns(), want.columns(), "{text:?}");
            assert_eq!(t.values(), want.values(), "{text:?}");
        }
        // line numbers count lone `\r`s and `\r\n` pairs as one line end each
        let e = Table::<f64>::parse("a,b\r1,2\r\r3,x\r", "cr.csv").unwrap_err();
        assert_eq!(
            (e.line, e.column.clone()),
            (Some(4), Some((2, "b".to_string())))
        );
        let e = Table::<f64>::parse("a,b\r\n1,2\r\n\r\n3,x\r\n", "crlf.csv").unwrap_err();
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_name() {
        let t = Table::<f32>::parse("\u{feff}a,b\n1,2\n", "bom.csv").unwrap();
        assert_eq!(t.columns(), ["a", "b"]);
        assert_eq!(t.position("a").unwrap(), 0);
    }

    #[test]
    fn repeated_column_name_is_refused() {
        let e = Table::<f64>::parse("a,b, a\n1,2,3\n", "dup.csv").unwrap_err();
        assert_eq!(
            (e.line, e.column.clone()),
            (Some(1), Some((3, "a".to_string())))
        );
        assert!(
            e.to_string()
                .starts_with("dup.csv:1, column 3 (`a`): column `a` is also column 1"),
            "{e}"
        );
    }

    fn overflow_is_refused<T: Float>() {
        for cell in ["1e999", "-1e999", "1e309"] {
            let e = Table::<T>::parse(&format!("a,b\n1,2\n3,{cell}\n"), "big.csv").unwrap_err();
            assert_eq!(
                (e.line, e.column.clone()),
                (Some(3), Some((2, "b".to_string())))
            );
            assert!(
                e.message
                    .starts_with(&format!("`{cell}` is beyond the range of {}", T::NAME)),
                "{e}"
            );
            let allow = CsvOptions {
                allow_non_finite: true,
            };
            assert!(Table::<T>::parse_with(&format!("a\n{cell}\n"), "big.csv", allow).is_err());
        }
    }

    #[test]
    fn overflowing_literal_is_refused_f32() {
        overflow_is_refused::<f32>();
        // beyond f32 only
        let e = Table::<f32>::parse("a\n-1e39\n", "big.csv").unwrap_err();
        assert_eq!(e.message, "`-1e39` is beyond the range of f32");
        let t = Table::<f64>::parse("a\n-1e39\n", "big.csv").unwrap();
        assert_eq!(t.values().as_slice(), &[-1e39]);
    }

    #[test]
    fn overflowing_literal_is_refused_f64() {
        overflow_is_refused::<f64>();
    }

    fn non_finite_needs_the_option<T: Float>() {
        for cell in ["nan", "NaN", "inf", "-inf", "+Infinity"] {
            let text = format!("a,b\n1,{cell}\n");
            let e = Table::<T>::parse(&text, "nf.csv").unwrap_err();
            assert_eq!(
                (e.line, e.column.clone()),
                (Some(2), Some((2, "b".to_string())))
            );
            assert!(e.message.contains("is not a finite number"), "{e}");
            let allow = CsvOptions {
                allow_non_finite: true,
            };
            let t = Table::<T>::parse_with(&text, "nf.csv", allow).unwrap();
            let got = t.values().as_slice()[1].to_f64();
            let want: f64 = cell.parse().unwrap();
            assert!(got == want || (got.is_nan() && want.is_nan()), "{cell}");
        }
    }

    #[test]
    fn non_finite_cells_are_refused_unless_allowed_f32() {
        non_finite_needs_the_option::<f32>();
    }

    #[test]
    fn non_finite_cells_are_refused_unless_allowed_f64() {
        non_finite_needs_the_option::<f64>();
    }

    #[test]
    fn csv_errors_point_at_the_caller() {
        let (e, line) = (Table::<f64>::parse("a\nx\n", "c.csv").unwrap_err(), line!());
        assert_eq!((e.location.file(), e.location.line()), (file!(), line));
        let t = Table::<f32>::parse("a\n1\n", "c.csv").unwrap();
        let (e, line) = (t.dataset("y").unwrap_err(), line!());
        assert!(
            e.to_string()
                .ends_with(&format!("(at {}:{line}:{})", file!(), e.location.column())),
            "{e}"
        );
    }
}
