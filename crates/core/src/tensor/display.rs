//! `Display` for tensors, laid out like NumPy's `repr`: nested brackets, one row per line,
//! and `...` for the middle of tensors above 1,000 elements.

use super::{contiguous_strides, Tensor};
use crate::Float;
use std::fmt;

/// NumPy's `threshold`: above this many elements the middle is elided.
const SUMMARY_THRESHOLD: usize = 1000;
/// NumPy's `edgeitems`: elements kept at each end of an elided axis.
const EDGE_ITEMS: usize = 3;

impl<T: Float> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An empty tensor is summarised too: its rows cost nothing to hold, but printing
        // the 2⁶² empty rows of a `[1 << 62, 0]` would never end.
        let summarise = self.len() > SUMMARY_THRESHOLD || self.is_empty();
        let strides = contiguous_strides(self.shape());
        write_axis(f, self, &strides, 0, 0, summarise)
    }
}

fn write_axis<T: Float>(
    f: &mut fmt::Formatter<'_>,
    t: &Tensor<T>,
    strides: &[usize],
    axis: usize,
    offset: usize,
    summarise: bool,
) -> fmt::Result {
    let shape = t.shape();
    if axis == shape.len() {
        return write!(f, "{}", t.as_slice()[offset]);
    }
    let n = shape[axis];
    let innermost = axis + 1 == shape.len();
    f.write_str("[")?;
    let mut i = 0;
    while i < n {
        if i > 0 {
            if innermost {
                f.write_str(", ")?;
            } else {
                f.write_str(",")?;
                for _ in 0..(shape.len() - axis - 1) {
                    f.write_str("\n")?;
                }
                for _ in 0..=axis {
                    f.write_str(" ")?;
                }
            }
        }
        if summarise && n > 2 * EDGE_ITEMS && i == EDGE_ITEMS {
            f.write_str("...")?;
            i = n - EDGE_ITEMS;
            continue;
        }
        write_axis(
            f,
            t,
            strides,
            axis + 1,
            offset + i * strides[axis],
            summarise,
        )?;
        i += 1;
    }
    f.write_str("]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_and_vector_print_plainly() {
        assert_eq!(Tensor::<f64>::scalar(1.5).to_string(), "1.5");
        assert_eq!(Tensor::<f64>::arange(3).to_string(), "[0, 1, 2]");
    }

    #[test]
    fn rank3_separates_blocks_with_blank_line() {
        let t = Tensor::<f64>::arange(8).reshape(&[2, 2, 2]).unwrap();
        assert_eq!(
            t.to_string(),
            "[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]"
        );
    }

    #[test]
    fn large_tensors_are_summarised() {
        let s = Tensor::<f32>::arange(2000).to_string();
        assert_eq!(s, "[0, 1, 2, ..., 1997, 1998, 1999]");
    }
}
