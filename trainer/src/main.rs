//! `trainer`: trains the MathSketch digit model and exports it to ONNX.
//!
//! This is the model-tooling world: burn and its dependencies live here only. The runtime
//! (web app, server) sees nothing of it but the ONNX file and its model card in `models/`.

mod augment;
mod card;
mod eval;
mod export;
mod model;
mod train;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Train and evaluate the MathSketch digit model")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train with canvas-like augmentation, export ONNX and write the model card beside it.
    Train {
        /// Directory holding the four MNIST IDX files (train-images-idx3-ubyte.gz, ...).
        #[arg(long)]
        data: PathBuf,
        /// Where to write the ONNX file; the model card goes beside it as .json.
        #[arg(long, default_value = "models/mnist.onnx")]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 12)]
        epochs: usize,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        #[arg(long, default_value_t = 4e-3)]
        learning_rate: f64,
        /// Training images held out for validation.
        #[arg(long, default_value_t = 5000)]
        validation: usize,
        /// Train on at most this many images (quick smoke runs).
        #[arg(long)]
        limit: Option<usize>,
        /// Also write the parity inputs and the framework's outputs to this directory.
        #[arg(long)]
        parity_dump: Option<PathBuf>,
    },
    /// Test accuracy and confusion matrix of an ONNX model, run through tract.
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Train {
            data,
            out,
            seed,
            epochs,
            batch_size,
            learning_rate,
            validation,
            limit,
            parity_dump,
        } => {
            let mut command = format!(
                "cargo run --release --locked --manifest-path trainer/Cargo.toml -- train \
                 --data {} --out {} --seed {seed} --epochs {epochs} --batch-size {batch_size} \
                 --learning-rate {learning_rate} --validation {validation}",
                data.display(),
                out.display()
            );
            if let Some(limit) = limit {
                command.push_str(&format!(" --limit {limit}"));
            }
            let card = train::run(&train::TrainOptions {
                data,
                out: out.clone(),
                seed,
                epochs,
                batch_size,
                learning_rate,
                validation,
                limit,
                parity_dump,
                command,
            })?;
            println!(
                "wrote {} ({} bytes, {} parameters, sha256 {}), test accuracy through tract {:.2}%",
                out.display(),
                card.size_bytes,
                card.parameters,
                card.sha256,
                100.0 * card.test_accuracy_tract
            );
        }
        Command::Eval { model, data } => {
            let onnx = std::fs::read(&model)
                .with_context(|| format!("reading the model {}", model.display()))?;
            let test = mathsketch::idx::load_test(&data)?;
            print!("{}", eval::evaluate(&onnx, &test)?);
        }
    }
    Ok(())
}
