//! The sketch and its fixes kept in the device's `localStorage` (the text format is the
//! core's [`crate::saved`]), so a reload, a killed tab or a day offline loses nothing. Saved
//! at most once per stroke end, undo, clear or fix; restored once when the page starts.

use web_sys::{Storage, Window};

use crate::expression::fix::Fixes;
use crate::saved::{self, Saved};
use crate::sketch::Sketch;

/// The storage key; the format's version is inside the value.
const KEY: &str = "mathsketch.sketch";

fn storage(window: &Window) -> Option<Storage> {
    window.local_storage().ok().flatten()
}

/// The stored sketch: `Ok(None)` when nothing is stored (or the browser has no storage for
/// this page), `Err(message)` when a stored value is unusable; it has been removed then, so
/// the next start is clean.
pub(super) fn load(window: &Window) -> Result<Option<Saved>, String> {
    let Some(store) = storage(window) else {
        return Ok(None);
    };
    let Ok(Some(text)) = store.get_item(KEY) else {
        return Ok(None);
    };
    saved::decode(&text).map(Some).map_err(|e| {
        let _ = store.remove_item(KEY);
        format!("Your saved drawing could not be restored ({e}), so the pad starts empty.")
    })
}

/// Stores `sketch` with its `fixes` (an empty sketch removes the entry). Returns false when
/// the browser refused (storage full or disabled): drawing goes on, the page just cannot
/// keep it.
pub(super) fn save(window: &Window, sketch: &Sketch, fixes: &Fixes) -> bool {
    let Some(store) = storage(window) else {
        return false;
    };
    if sketch.is_empty() {
        return store.remove_item(KEY).is_ok();
    }
    store
        .set_item(KEY, &saved::encode(sketch, &fixes.in_sketch(sketch)))
        .is_ok()
}
