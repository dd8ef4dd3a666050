//! The lowest layer: Chinese text handling that everything above shares. Character folding
//! for matching (full-width → half-width, case, bracket and zero variants, traditional →
//! simplified), normalised text with a map back to its source, and dates and Chinese
//! numerals. Nothing here knows about letters, indexes or HTTP.

pub mod date;
mod fold;
mod normalize;
pub mod pinyin;

pub use fold::{fold_case, fold_char, fold_variant, fold_width, fold_width_str, is_han, simplify};
pub use normalize::{Normalized, compact, normalize};
