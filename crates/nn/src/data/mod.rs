//! Data: an in-memory [`Dataset`] of tensors, seeded shuffled [`Batches`], train/test
//! splits (plain and stratified), [`Standardizer`], and numeric CSV loading into a
//! [`Table`] with errors that name the file, line and column.

#[cfg(feature = "csv")]
mod csv;
mod dataset;
mod standardize;

#[cfg(feature = "csv")]
pub use csv::{read_csv, read_csv_with, CsvError, CsvOptions, Table};
pub use dataset::{Batches, Dataset, LastBatch};
pub use standardize::Standardizer;
