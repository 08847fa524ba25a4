//! The examples' data sets, read through the CSV loader: sizes, header names, and
//! values that the sources document.

use tapegrad_nn::data::read_csv;
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
