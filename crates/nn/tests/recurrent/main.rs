//! The recurrent cells and sequence layers: values against hand formulas and against an
//! independent plain-f64 implementation (every layout: layers, directions, batch-first,
//! initial states, unbatched input, dropout), finite-difference checks of orders 1 and 2
//! through unrolled GRU, LSTM and RNN steps, a 1,000-step backward on the test's own
//! thread, and the errors' texts. The PyTorch fixture is `recurrent_fixture.rs`.

mod errors;
mod gradients;
mod reference;
mod values;
