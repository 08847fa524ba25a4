//! Numeric CSV with a header row into a [`Table`]; a bad cell is reported with its file,
//! line and column. Quoting and non-numeric columns are out of scope.

use super::Dataset;
use std::fmt;
use std::path::Path;
use tapegrad_core::{Float, Tensor};

/// Why a CSV file could not be read or used: where (file, 1-based line, 1-based column
/// and its header name when known) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// The file (or the name given to [`Table::parse`]).
    pub file: String,
    /// 1-based line number; `None` for errors about the whole file (unreadable, empty).
    pub line: Option<usize>,
    /// 1-based column number and its header name.
    pub column: Option<(usize, String)>,
    /// What is wrong.
    pub message: String,
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
        write!(f, ": {}", self.message)
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
/// assert_eq!(err.to_string(), "bad.csv:3, column 2 (`b`): cannot parse `x` as a number");
/// ```
#[derive(Clone, Debug)]
pub struct Table<T: Float> {
    file: String,
    columns: Vec<String>,
    values: Tensor<T>,
}

/// Reads a numeric CSV file with a header row (see [`Table`]).
pub fn read_csv<T: Float>(path: impl AsRef<Path>) -> Result<Table<T>, CsvError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CsvError {
        file: file.clone(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    Table::parse(&text, &file)
}

impl<T: Float> Table<T> {
    /// Parses CSV text; `file` names it in errors. Fields are trimmed; blank lines are
    /// skipped; every row must have as many fields as the header.
    pub fn parse(text: &str, file: &str) -> Result<Self, CsvError> {
        let err =
            |line: Option<usize>, column: Option<(usize, String)>, message: String| CsvError {
                file: file.to_string(),
                line,
                column,
                message,
            };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
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
                let x: f64 = cell.parse().map_err(|_| {
                    err(
                        Some(line),
                        Some((k + 1, columns[k].clone())),
                        format!("cannot parse `{cell}` as a number"),
                    )
                })?;
                values.push(T::from_f64(x));
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
    pub fn position(&self, name: &str) -> Result<usize, CsvError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| CsvError {
                file: self.file.clone(),
                line: Some(1),
                column: None,
                message: format!("no column `{name}`; the header has {:?}", self.columns),
            })
    }

    /// The named columns, in the order given, as `[rows, names.len()]`.
    pub fn select(&self, names: &[&str]) -> Result<Tensor<T>, CsvError> {
        let idx = names
            .iter()
            .map(|n| self.position(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self
            .values
            .index_select(1, &idx)
            .expect("positions are in range"))
    }

    /// A dataset: every column but `target` as inputs `[rows, columns - 1]`, `target` as
    /// targets `[rows, 1]`.
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
        assert_eq!(
            e.to_string(),
            "data/x.csv:4, column 2 (`b`): cannot parse `five` as a number"
        );
    }

    #[test]
    fn ragged_row_and_missing_things_are_errors() {
        let e = Table::<f64>::parse("a,b\n1,2,3\n", "r.csv").unwrap_err();
        assert_eq!(e.to_string(), "r.csv:2: 3 fields, but the header has 2");
        let e = Table::<f64>::parse("\n\n", "e.csv").unwrap_err();
        assert_eq!(e.to_string(), "e.csv: empty file: no header row");
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
}
