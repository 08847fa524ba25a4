//! Tests of `src/ops/binary/`, one file per op file.

mod add;
mod div;
mod equal;
mod maximum;
mod minimum;
mod mul;
mod pow;
mod scalar;
mod select;
mod sub;
mod winner;
