//! Plans (`tapegrad_core::Plan`): tracing and replaying, the rules of a trace, each
//! optimisation pass on its own, and a proptest that replays equal the eager engine.

mod passes;
mod proptests;
mod rules;
mod support;
