//! `trainer`: trains the MathSketch symbol model (digits and operators) and exports it to
//! ONNX.
//!
//! This is the model-tooling world: burn and its dependencies live here only. The runtime
//! (web app, server) sees nothing of it but the ONNX file and its model card in `models/`.

mod augment;
mod card;
mod eval;
mod export;
mod fit;
mod model;
mod pen;
mod sources;
mod train;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Train and evaluate the MathSketch symbol model")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which digits `trainer eval` measures.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Split {
    Test,
    Validation,
}

#[derive(Subcommand)]
enum Command {
    /// Train with canvas-like augmentation, export ONNX and write the model card beside it.
    Train(train::TrainOptions),
    /// Accuracy and confusion of an ONNX model on MNIST test bitmaps, the same digits as
    /// strokes, and held-out generated operators, all run through tract.
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        /// `test`: the MNIST test digits (the figures of the card). `validation`: the
        /// held-out training digits of a run with `--seed` and `--validation`, which settings
        /// are chosen by (never by the test set).
        #[arg(long, value_enum, default_value_t = Split::Test)]
        split: Split,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 5000)]
        validation: usize,
        /// Also write a contact sheet (binary PGM) of the test digits misread as strokes:
        /// per pair, the MNIST bitmap and its stroke rendering, grouped by true class.
        #[arg(long)]
        misreads: Option<PathBuf>,
        /// Other models to compare with `--model` on the same digits (repeatable): each
        /// alone, the mean of all their probabilities, and how many stroke digits every one
        /// of them misreads.
        #[arg(long = "with")]
        with: Vec<PathBuf>,
    },
    /// Writes a contact sheet (binary PGM) of what training sees: per row, one class; columns
    /// alternate MNIST bitmaps, the same digits as strokes, and augmented copies.
    Samples {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "samples.pgm")]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Train(opts) => {
            let card = train::run(&opts)?;
            println!(
                "wrote {} ({} bytes, {} parameters, sha256 {}), MNIST test accuracy through \
                 tract {:.2}%, as strokes {:.2}%",
                opts.out.display(),
                card.size_bytes,
                card.parameters,
                card.sha256,
                100.0 * card.test_accuracy_tract,
                100.0 * card.test_strokes_accuracy_tract
            );
        }
        Command::Eval {
            model,
            data,
            split,
            seed,
            validation,
            misreads,
            with,
        } => {
            let onnx = std::fs::read(&model)
                .with_context(|| format!("reading the model {}", model.display()))?;
            let sets = match split {
                Split::Test => eval::TestSets::new(&mathsketch::idx::load_test(&data)?),
                Split::Validation => {
                    let train_set = mathsketch::idx::load_train(&data)?;
                    let (held_out, _) = train::split(train_set.len(), seed, validation)?;
                    eval::TestSets::validation(&train_set, &held_out, seed)
                }
            };
            print!("{}", eval::evaluate(&onnx, &sets)?);
            if let Some(out) = misreads {
                let n = eval::misread_sheet(&onnx, &sets, &out)?;
                println!("wrote {} ({n} misread stroke digits)", out.display());
            }
            if !with.is_empty() {
                let mut models = vec![(model.display().to_string(), onnx)];
                for path in &with {
                    let onnx = std::fs::read(path)
                        .with_context(|| format!("reading the model {}", path.display()))?;
                    models.push((path.display().to_string(), onnx));
                }
                print!("{}", eval::agreement(&models, &sets)?);
            }
        }
        Command::Samples { data, out, seed } => {
            let test = mathsketch::idx::load_test(&data)?;
            sources::contact_sheet(&test, seed, &out)?;
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}
