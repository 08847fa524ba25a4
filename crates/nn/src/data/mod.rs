//! Data: an in-memory [`Dataset`] of tensors, seeded shuffled [`Batches`], train/test
//! splits (plain and stratified), [`Standardizer`], series for sequence models
//! ([`windows`], [`batchify`], [`bptt_chunks`]), and numeric CSV loading into a
//! [`Table`] with errors that name the file, line and column.

#[cfg(feature = "csv")]
mod csv;
mod dataset;
mod sequence;
mod standardize;

#[cfg(feature = "csv")]
pub use csv::{read_csv, read_csv_with, CsvError, CsvOptions, Table};
pub use dataset::{Batches, Dataset, LastBatch};
pub use sequence::{batchify, bptt_chunks, try_batchify, try_bptt_chunks, try_windows, windows};
pub use standardize::Standardizer;
