//! The examples' data sets, read through the CSV loader: sizes, header names, and
//! values that the sources document.

use tapegrad_core::Float;
use tapegrad_nn::data::{read_csv, read_csv_with, CsvOptions};
use tapegrad_nn::metrics::labels;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

#[test]
fn diabetes_has_442_patients_10_features_and_the_target() {
    let t = read_csv::<f64>(format!("{DATA}/diabetes.csv")).unwrap();
    assert_eq!(t.values().shape(), &[442, 11]);
    assert_eq!(t.columns()[..4], ["age", "sex", "bmi", "bp"]);
    let d = t.dataset("progression").unwrap();
    assert_eq!(
        (d.x().shape(), d.y().shape()),
        (&[442, 10][..], &[442, 1][..])
    );
    // the first patient of the raw table
    assert_eq!(&d.x().as_slice()[..4], &[59.0, 2.0, 32.1, 101.0]);
    assert_eq!(d.y().at(&[0, 0]), 151.0);
}

#[test]
fn digits_has_1797_images_of_64_pixels_in_10_classes() {
    let d = read_csv::<f32>(format!("{DATA}/digits.csv"))
        .unwrap()
        .dataset("label")
        .unwrap();
    assert_eq!(d.x().shape(), &[1797, 64]);
    assert!(d.x().as_slice().iter().all(|&p| (0.0..=16.0).contains(&p)));
    let mut counts = [0usize; 10];
    for c in labels(d.y()) {
        counts[c] += 1;
    }
    // roughly 180 of each digit
    assert!(
        counts.iter().all(|&n| (170..=190).contains(&n)),
        "{counts:?}"
    );
    assert_eq!(counts.iter().sum::<usize>(), 1797);
}

/// Writes `bytes` to a file of its own under the temp directory and returns its path.
fn temp_csv(test: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tapegrad-nn-{test}-{}.csv", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn old_mac_file_with_bom_reads<T: Float>() {
    let path = temp_csv(
        &format!("cr-bom-{}", T::NAME),
        "\u{feff}x,y\r1,2\r3,4\r".as_bytes(),
    );
    let t = read_csv::<T>(&path).unwrap();
    assert_eq!(t.columns(), ["x", "y"]);
    assert_eq!(t.rows(), 2);
    assert_eq!(t.dataset("y").unwrap().y().shape(), &[2, 1]);
    std::fs::write(&path, b"x,y\r1,2\r3,nan\r").unwrap();
    let (e, line) = (read_csv::<T>(&path).unwrap_err(), line!());
    let allowed = read_csv_with::<T>(
        &path,
        CsvOptions {
            allow_non_finite: true,
        },
    );
    std::fs::remove_file(&path).unwrap();
    assert!(
        e.to_string().starts_with(&format!(
            "{}:3, column 2 (`y`): `nan` is not a finite number",
            path.display()
        )),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with(&format!("(at {}:{line}:{})", file!(), e.location.column())),
        "{e}"
    );
    assert!(allowed.unwrap().values().as_slice()[3].to_f64().is_nan());
}

#[test]
fn cr_only_file_with_byte_order_mark_reads_f32() {
    old_mac_file_with_bom_reads::<f32>();
}

#[test]
fn cr_only_file_with_byte_order_mark_reads_f64() {
    old_mac_file_with_bom_reads::<f64>();
}
