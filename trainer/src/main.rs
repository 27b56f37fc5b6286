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
    Train(train::TrainOptions),
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
        Command::Train(opts) => {
            let card = train::run(&opts)?;
            println!(
                "wrote {} ({} bytes, {} parameters, sha256 {}), test accuracy through tract {:.2}%",
                opts.out.display(),
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
