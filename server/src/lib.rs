//! The socket-free parts of `mathsketch-server`, as a library so that `fuzz/` and the
//! tests can drive them directly; the binary (`main.rs`) adds HTTP around them.

pub mod body;
