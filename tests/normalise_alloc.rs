//! The web layer normalises on every animation frame: after warm-up, `Normaliser::normalise`
//! must not allocate. Own test binary because it installs a counting global allocator. The
//! count is per thread, so tests running in parallel do not see each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mathsketch::{MnistImage, Normaliser, Point, Sketch};

struct Counting;

thread_local! {
    // Const-initialised and without a destructor, so reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down may still free or allocate; it just is not counted.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations made so far on this thread.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: defers every operation to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn normalise_allocates_nothing_after_warm_up() {
    let mut s = Sketch::new();
    s.begin_stroke(Point::new(0.0, 0.0));
    for i in 1..500 {
        let t = i as f32 / 50.0;
        s.extend_stroke(Point::new(100.0 * t.cos(), 140.0 * t.sin()));
    }
    s.end_stroke();
    s.begin_stroke(Point::new(3.0, 3.0));
    s.end_stroke();

    let mut n = Normaliser::new();
    let mut out = MnistImage::blank();
    assert!(n.normalise(&s, &mut out));

    let before = allocations();
    for _ in 0..20 {
        assert!(n.normalise(&s, &mut out));
    }
    let after = allocations();
    assert_eq!(after - before, 0, "normalise allocated");
}

/// Allocations made by `f`, run once after one warm-up call.
fn allocations_of(mut f: impl FnMut()) -> usize {
    f();
    let before = allocations();
    f();
    allocations() - before
}

/// The rest of the frame is inference. tract allocates each node's output tensor inside the
/// plan, which is not ours to reuse; what is ours (the input tensor, tract's run state, the
/// output copy) a `Session` keeps between frames, so it must allocate clearly less than a
/// stateless `Classifier::predict`. Prints both counts.
#[test]
fn a_session_reuses_its_input_and_run_state() {
    use mathsketch::classifier::Classifier;

    let classifier = Classifier::embedded().expect("the embedded model loads");
    let mut session = classifier.session().expect("a session");
    let image = MnistImage::benchmark_input();
    let stateless = allocations_of(|| {
        classifier.predict(&image).expect("predict");
    });
    let with_session = allocations_of(|| {
        session.predict(&image).expect("session predict");
    });
    eprintln!("allocations per prediction: {stateless} stateless, {with_session} with a session");
    assert!(
        with_session + 3 <= stateless,
        "a session should save at least the input, state and output allocations: {with_session} vs {stateless}"
    );
}
