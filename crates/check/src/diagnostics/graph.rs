//! The tape as a picture (Graphviz DOT) or as text, and how much memory it holds.

use super::NodeInfo;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write};
use tapegrad_core::{Float, Grads, NodeKind, Tape, Tensor, Var};

/// A view of a tape for dumping: all nodes, or only those an output depends on, with
/// values of small tensors and, when given, gradients. Made by
/// [`Diagnostics::graph`](super::Diagnostics::graph).
///
/// ```
/// use tapegrad_check::diagnostics::Diagnostics;
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
/// let y = (x * x).sum();
/// let grads = y.backward();
/// let dot = tape.graph().of(&[y]).with_grads(&grads).to_dot();
/// assert!(dot.starts_with("digraph tape {"));
/// assert!(dot.contains("mul") && dot.contains("grad = [2, 4]"));
/// println!("{}", tape.graph()); // the text dump
/// ```
pub struct Graph<'a, T: Float> {
    tape: &'a Tape<T>,
    grads: Option<&'a Grads<T>>,
    roots: Option<Vec<usize>>,
    max_values: usize,
    names: HashMap<usize, String>,
    sites: bool,
}

impl TapeStats {
    /// Counts the nodes of `tape` and the memory they hold.
    pub(crate) fn of<T: Float>(tape: &Tape<T>) -> Self {
        let mut s = TapeStats {
            nodes: tape.len(),
            leaves: 0,
            constants: 0,
            ops: 0,
            buffers: 0,
            value_bytes: 0,
            node_bytes: tape.record_bytes(),
            op_bytes: 0,
        };
        let mut seen = HashSet::new();
        for node in tape.nodes() {
            match node.kind() {
                NodeKind::Leaf => s.leaves += 1,
                NodeKind::Constant => s.constants += 1,
                NodeKind::Op => s.ops += 1,
            }
            // One element lives inline in the node; larger buffers are shared between
            // tensors (a reshape, a detached copy), so each is counted once.
            let v = node.value();
            if v.len() != 1 && seen.insert(v.as_slice().as_ptr() as usize) {
                s.buffers += 1;
                s.value_bytes += v.len() * std::mem::size_of::<T>();
            }
            s.op_bytes += node.op_bytes();
        }
        s
    }
}

/// What [`Diagnostics::stats`](super::Diagnostics::stats) counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapeStats {
    /// Number of nodes.
    pub nodes: usize,
    /// Leaves among them.
    pub leaves: usize,
    /// Constants among them.
    pub constants: usize,
    /// Op outputs among them.
    pub ops: usize,
    /// Heap buffers of values (tensors of more than one element; shared ones once).
    pub buffers: usize,
    /// Bytes of those buffers.
    pub value_bytes: usize,
    /// Bytes of the node records (allocated capacity), one-element values included.
    pub node_bytes: usize,
    /// Bytes of the ops too large to live in their node (boxed on the heap).
    pub op_bytes: usize,
}

impl TapeStats {
    /// Everything the tape holds, in bytes.
    pub fn bytes(&self) -> usize {
        self.value_bytes + self.node_bytes + self.op_bytes
    }
}

fn human(bytes: usize) -> String {
    match bytes {
        b if b < 1 << 10 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

impl fmt::Display for TapeStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} nodes ({} leaves, {} constants, {} ops), {} held: values {} in {} buffers, node records {}, ops {}",
            self.nodes,
            self.leaves,
            self.constants,
            self.ops,
            human(self.bytes()),
            human(self.value_bytes),
            self.buffers,
            human(self.node_bytes),
            human(self.op_bytes)
        )
    }
}

impl<'a, T: Float> Graph<'a, T> {
    /// All nodes of `tape`, values of up to six elements, no gradients.
    pub(crate) fn new(tape: &'a Tape<T>) -> Self {
        Graph {
            tape,
            grads: None,
            roots: None,
            max_values: 6,
            names: HashMap::new(),
            sites: true,
        }
    }

    /// Shows the gradients of the leaves from a [`Var::backward`] call on this tape.
    ///
    /// Panics if `grads` were computed on another tape, or on this one before a
    /// [`clear`](Tape::clear).
    #[track_caller]
    pub fn with_grads(mut self, grads: &'a Grads<T>) -> Self {
        if let Err(e) = grads.check_tape(self.tape) {
            panic!("{e}");
        }
        self.grads = Some(grads);
        self
    }

    /// Keeps only `outputs` and the nodes they depend on; the outputs are drawn with a bold
    /// border.
    ///
    /// Panics if one of `outputs` belongs to another tape.
    #[track_caller]
    pub fn of(mut self, outputs: &[Var<'_, T>]) -> Self {
        for &v in outputs {
            if let Err(e) = self.tape.check_var("graph", v) {
                panic!("{e}");
            }
        }
        self.roots = Some(outputs.iter().map(|v| v.id()).collect());
        self
    }

    /// Shows `name` before what made `v`'s node (`#0 x: leaf`): the name the user knows a
    /// variable by.
    ///
    /// Panics if `v` belongs to another tape.
    #[track_caller]
    pub fn name(mut self, v: Var<'_, T>, name: impl Into<String>) -> Self {
        if let Err(e) = self.tape.check_var("graph", v) {
            panic!("{e}");
        }
        self.names.insert(v.id(), name.into());
        self
    }

    /// Leaves out the line of code that created each node: for a tape built by an
    /// interpreter (the `tapegrad` command), those lines are the interpreter's, not its
    /// user's.
    pub fn without_sites(mut self) -> Self {
        self.sites = false;
        self
    }

    /// What made node `info`, after its name when it has one.
    fn title(&self, info: &NodeInfo) -> String {
        match self.names.get(&info.id) {
            Some(name) => format!("{name}: {}", info.op),
            None => info.op.clone(),
        }
    }

    /// Whether node `id` is one of the outputs given to [`of`](Self::of).
    fn is_output(&self, id: usize) -> bool {
        self.roots.as_ref().is_some_and(|r| r.contains(&id))
    }

    /// Prints the values of tensors of at most `n` elements (default 6); larger ones are
    /// summarised by their range.
    pub fn values_up_to(mut self, n: usize) -> Self {
        self.max_values = n;
        self
    }

    /// Which nodes to show.
    fn shown(&self) -> Vec<bool> {
        let len = self.tape.len();
        let Some(roots) = &self.roots else {
            return vec![true; len];
        };
        let mut shown = vec![false; len];
        for &r in roots {
            shown[r] = true;
        }
        // Inputs come before their node, so one reverse pass marks every ancestor.
        for node in self.tape.nodes().rev() {
            if shown[node.id()] {
                for i in node.inputs() {
                    shown[i] = true;
                }
            }
        }
        shown
    }

    /// The gradient shown for node `id` (a leaf's; `with_grads` checked the tape).
    fn grad_of(&self, id: usize) -> Option<&'a Tensor<T>> {
        let grads = self.grads?;
        grads.iter().find(|&(leaf, _)| leaf == id).map(|(_, g)| g)
    }

    /// Graphviz DOT: one box per op (its label), ellipses for leaves, dashed grey boxes
    /// for constants, each with its name (when given), shape, value (small tensors),
    /// gradient (when given) and creation site; edges run from inputs to the op, numbered
    /// when an op has several.
    pub fn to_dot(&self) -> String {
        let shown = self.shown();
        let mut out = String::from("digraph tape {\n");
        out.push_str("  node [fontname=\"monospace\", fontsize=10];\n");
        out.push_str("  edge [fontname=\"monospace\", fontsize=9, color=\"#555555\"];\n");
        for node in self.tape.nodes() {
            let id = node.id();
            if !shown[id] {
                continue;
            }
            let info = NodeInfo::of(&node);
            let value = &*node.value();
            let mut label = format!("#{id} {}\n{:?}", self.title(&info), value.shape());
            let _ = write!(label, "\n= {}", compact(value, self.max_values));
            if let Some(g) = self.grad_of(id) {
                let _ = write!(label, "\ngrad = {}", compact(g, self.max_values));
            }
            if self.sites {
                let _ = write!(label, "\n{}:{}", info.site.file(), info.site.line());
            }
            let style = match node.kind() {
                NodeKind::Leaf => "shape=ellipse, style=filled, fillcolor=\"#d6eaff\"",
                NodeKind::Constant => {
                    "shape=box, style=dashed, color=\"#888888\", fontcolor=\"#555555\""
                }
                NodeKind::Op => "shape=box, style=\"rounded,filled\", fillcolor=\"#fff4d6\"",
            };
            let bold = if self.is_output(id) {
                ", penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  n{id} [label=\"{}\", {style}{bold}];",
                escape(&label)
            );
        }
        for node in self.tape.nodes() {
            let id = node.id();
            if !shown[id] {
                continue;
            }
            let numbered = node.inputs().len() > 1;
            for (pos, i) in node.inputs().enumerate() {
                if numbered {
                    let _ = writeln!(out, "  n{i} -> n{id} [label=\"{pos}\"];");
                } else {
                    let _ = writeln!(out, "  n{i} -> n{id};");
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// One line per node: id, name (when given) and what made it (and from which nodes),
    /// shape, value, gradient when given, creation site.
    pub fn to_text(&self) -> String {
        let shown = self.shown();
        let mut rows = Vec::new();
        for node in self.tape.nodes() {
            let id = node.id();
            if !shown[id] {
                continue;
            }
            let info = NodeInfo::of(&node);
            let value = node.value();
            let what = if node.inputs().len() == 0 {
                self.title(&info)
            } else {
                let args: Vec<String> = node.inputs().map(|i| format!("#{i}")).collect();
                format!("{}({})", self.title(&info), args.join(", "))
            };
            let mut row = vec![
                format!("#{id}"),
                what,
                format!("{:?}", value.shape()),
                format!("= {}", compact(&value, self.max_values)),
            ];
            // A gradient column only when gradients were given.
            if self.grads.is_some() {
                row.push(match self.grad_of(id) {
                    Some(g) => format!("grad {}", compact(g, self.max_values)),
                    None => String::new(),
                });
            }
            if self.sites {
                row.push(format!("{}:{}", info.site.file(), info.site.line()));
            }
            rows.push(row);
        }
        let mut widths = vec![0usize; rows.first().map_or(0, Vec::len)];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &rows {
            let mut line = String::new();
            for (cell, &w) in row.iter().zip(&widths) {
                let pad = w - cell.chars().count();
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
            // Without sites the last column may be an empty gradient cell.
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

impl<T: Float> fmt::Display for Graph<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A value in a few characters: the elements, flat, when there are at most `max`; the
/// range of the elements otherwise.
fn compact<T: Float>(t: &Tensor<T>, max: usize) -> String {
    let xs = t.as_slice();
    if t.shape().is_empty() {
        return number(xs[0].to_f64());
    }
    if xs.len() <= max {
        let parts: Vec<String> = xs.iter().map(|x| number(x.to_f64())).collect();
        return format!("[{}]", parts.join(", "));
    }
    let s = super::Summary::of(t);
    let mut out = match (s.min, s.max) {
        (Some(lo), Some(hi)) => format!("{} values in [{}, {}]", xs.len(), number(lo), number(hi)),
        _ => format!("{} values", xs.len()),
    };
    for (n, what) in [(s.nan, "NaN"), (s.pos_inf, "+inf"), (s.neg_inf, "-inf")] {
        if n > 0 {
            let _ = write!(out, ", {n} {what}");
        }
    }
    out
}

/// A number in at most about nine characters.
fn number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e6 {
        format!("{x}")
    } else if x.is_finite() && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Escapes a label for a DOT double-quoted string; newlines become DOT's `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Diagnostics;
    use tapegrad_core::{Tape, Tensor};

    #[test]
    fn dot_styles_leaves_constants_and_ops_and_shows_values_and_grads() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let c = tape.constant(Tensor::scalar(3.0));
        let line = line!() + 1;
        let y = (x * c).exp().sum();
        let unrelated = tape.leaf(Tensor::scalar(7.0)) * 2.0;
        let grads = y.backward();
        let dot = tape.graph().of(&[y]).with_grads(&grads).to_dot();
        // leaf, constant, mul, exp, sum; not the unrelated nodes
        assert_eq!(dot.matches(" [label=\"#").count(), 5, "{dot}");
        assert!(!dot.contains(&format!("n{} ", unrelated.id())), "{dot}");
        // d/dx Σ exp(3x) = 3·exp(3x) = [60.2566, 1210.2864]
        assert!(
            dot.contains("#0 leaf\\n[2]\\n= [1, 2]\\ngrad = [60.2566, 1210.2864]"),
            "{dot}"
        );
        assert!(dot.contains("shape=ellipse"), "{dot}");
        assert!(dot.contains("#1 constant\\n[]\\n= 3\\n"), "{dot}");
        assert!(dot.contains("style=dashed"), "{dot}");
        assert!(dot.contains("#2 mul\\n[2]\\n= [3, 6]"), "{dot}");
        // two-input ops number their edges
        assert!(dot.contains("n0 -> n2 [label=\"0\"];") && dot.contains("n1 -> n2 [label=\"1\"];"));
        assert!(
            dot.contains("n2 -> n3;") && dot.contains("n3 -> n4;"),
            "{dot}"
        );
        assert!(
            dot.contains(&format!("#4 sum\\n[]\\n= 423.5143\\n{}:{line}\"", file!())),
            "{dot}"
        );
    }

    #[test]
    fn names_outputs_and_sites_are_options_of_the_dump() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(2.0));
        let y = (x * x).exp();
        let grads = y.backward();
        let graph = || tape.graph().of(&[y]).with_grads(&grads).name(x, "x");
        let dot = graph().without_sites().to_dot();
        // exp(x²) at 2: 54.5982; d/dx = 2x·exp(x²) = 218.3926
        assert!(
            dot.contains("n0 [label=\"#0 x: leaf\\n[]\\n= 2\\ngrad = 218.3926\", shape=ellipse"),
            "{dot}"
        );
        assert!(!dot.contains(file!()), "no sites: {dot}");
        // the output, and only the output, has a bold border
        assert_eq!(dot.matches("penwidth=2").count(), 1, "{dot}");
        assert!(dot.contains("#2 exp\\n[]\\n= 54.5982\", shape=box, style=\"rounded,filled\", fillcolor=\"#fff4d6\", penwidth=2];"), "{dot}");
        // sites are shown unless left out; the name shows in the text dump too
        assert!(graph()
            .to_dot()
            .contains(&format!("grad = 218.3926\\n{}:", file!())));
        let text = graph().without_sites().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("#0  x: leaf ") && lines[0].ends_with("grad 218.3926"));
        assert!(lines[2].starts_with("#2  exp(#1) ") && lines[2].ends_with("= 54.5982"));
        assert!(lines.iter().all(|l| !l.contains(".rs:")), "{text}");
    }

    #[test]
    fn dot_renders_with_graphviz_when_installed() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1.0, -2.0, 0.5, 4.0], &[2, 2]));
        let y = (x.matmul(x) * 0.5 - x.exp()).mean();
        let dot = tape.graph().with_grads(&y.backward()).to_dot();
        let child = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            // .ci/run installs Graphviz and sets this, so CI always renders
            assert!(
                std::env::var_os("TAPEGRAD_REQUIRE_DOT").is_none(),
                "TAPEGRAD_REQUIRE_DOT is set but Graphviz `dot` cannot be run"
            );
            println!("note: Graphviz `dot` is not installed; DOT rendering not checked");
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(svg.contains("<svg") && svg.contains("matmul"), "{svg}");
    }

    #[test]
    fn text_dump_lists_every_node_with_inputs_shapes_and_sites() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1.0; 12], &[3, 4]));
        let line = line!() + 1;
        let y = (x + 1.0).sum_axes(&[0], false);
        let text = tape.graph().values_up_to(4).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("#0  leaf") && lines[0].contains("12 values in [1, 1]"));
        assert!(lines[1].starts_with("#1  add_scalar(1)(#0)"), "{text}");
        assert!(lines[2].contains("sum(axes=[0], keepdim=false)(#1)") && lines[2].contains("[4]"));
        assert!(lines[2].contains("= [6, 6, 6, 6]"), "{text}");
        assert!(lines[2].ends_with(&format!("graph.rs:{line}")), "{text}");
        // with gradients: a column of its own, empty for nodes that are not leaves
        let text = tape.graph().with_grads(&y.sum().backward()).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("= 12 values in [1, 1]  grad 12 values in [1, 1]  "),
            "{text}"
        );
        assert!(!lines[1].contains("grad"), "{text}");
    }

    #[test]
    fn stats_count_nodes_and_shared_buffers_once() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(Tensor::zeros(&[10, 10]));
        let r = x.reshape(&[100]); // shares x's buffer
        let d = r.detach(); // shares it too
        let _s = (d * r).sum();
        let s = tape.stats();
        assert_eq!((s.nodes, s.leaves, s.constants, s.ops), (5, 1, 1, 3));
        // x/r/d share one buffer; the product has its own; the sum is one inline element
        assert_eq!((s.buffers, s.value_bytes), (2, 2 * 100 * 4));
        assert!(s.bytes() > s.value_bytes && s.to_string().starts_with("5 nodes (1 leaves"));
    }
}
