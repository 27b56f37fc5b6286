//! Where native inference spends its time, node by node: runs the shipped model's optimised
//! plan (the runtime's trimmed op register) 1,000 times after 1,000 warm-up runs and prints
//! the mean time per node, largest first. A tool for performance work, not a benchmark:
//! `cargo run --release --example profile_nodes`.

use std::collections::HashMap;
use std::time::Instant;

use mathsketch::classifier::{self, EMBEDDED_MODEL};
use mathsketch::mnist::{MnistImage, SIDE};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::tract_core::plan::eval;

const RUNS: usize = 1000;

fn main() -> TractResult<()> {
    // The same pipeline as `Classifier::with_batch`.
    let mut model = classifier::typed_model(EMBEDDED_MODEL, 1)?;
    classifier::use_fast_ops(&mut model)?;
    let plan = model.into_optimized()?.into_runnable()?;
    let mut state = plan.spawn()?;
    let image = MnistImage::benchmark_input();
    let mut micros: HashMap<String, f64> = HashMap::new();
    for run in 0..2 * RUNS {
        let input = Tensor::from_shape(&[1, 1, SIDE, SIDE], image.pixels())?;
        state.run_plan_with_eval(tvec!(input.into()), |ctx, op_state, node, inputs| {
            let t = Instant::now();
            let result = eval(ctx, op_state, node, inputs);
            if run >= RUNS {
                let key = format!("{} ({})", node.name, node.op().name());
                *micros.entry(key).or_default() += t.elapsed().as_secs_f64() * 1e6 / RUNS as f64;
            }
            result
        })?;
    }
    let mut rows: Vec<(String, f64)> = micros.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = rows.iter().map(|(_, us)| us).sum();
    for (node, us) in rows {
        println!("{us:8.1} µs  {:5.1} %  {node}", 100.0 * us / total);
    }
    println!("{total:8.1} µs  total");
    Ok(())
}
