//! How a word sounds, for finding the word a person meant when a pinyin input method gave
//! them another with the same sound (停车南 for 停车难, 加装电弟 for 加装电梯).
//!
//! A word's *sound* is its syllables without tones, folded where input-method users often
//! confuse them: n/l, z/zh, c/ch, s/sh and an/ang, en/eng, in/ing. Two words with the same
//! sound are candidates for each other.

use pinyin::ToPinyin;

/// The toneless common reading of a Han character (`重` → zhong; its other readings, as in
/// 重庆, are left out: rare readings made more false homophones than they found typos).
pub fn reading(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|p| p.plain())
}

/// A syllable folded for the confusions of input-method users (zh→z, ch→c, sh→s, l→n,
/// ang→an, eng→en, ing→in).
pub fn fold_syllable(syllable: &str) -> String {
    let mut s = syllable.to_string();
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if let Some(rest) = s.strip_prefix(from) {
            s = format!("{to}{rest}");
        }
    }
    if let Some(rest) = s.strip_prefix('l') {
        s = format!("n{rest}");
    }
    for (from, to) in [("ang", "an"), ("eng", "en"), ("ing", "in")] {
        if let Some(stem) = s.strip_suffix(from) {
            s = format!("{stem}{to}");
        }
    }
    s
}

/// Each character's common reading, in order; None when a character is not Han.
pub fn syllables(word: &str) -> Option<Vec<&'static str>> {
    word.chars().map(reading).collect()
}

/// A word's sound: its `syllables` joined by spaces ("ting che nan").
pub fn spelling(word: &str) -> Option<String> {
    Some(syllables(word)?.join(" "))
}

/// A spelling folded syllable by syllable (`fold_syllable`): equal for words an input method
/// could have confused.
pub fn fold_spelling(spelling: &str) -> String {
    spelling
        .split(' ')
        .map(fold_syllable)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_sound_alike_share_a_folded_spelling() {
        let folded = |w: &str| fold_spelling(&spelling(w).unwrap());
        assert_eq!(spelling("停车南").as_deref(), Some("ting che nan"));
        assert_eq!(folded("停车南"), folded("停车难"));
        assert_ne!(folded("加装电弟"), folded("加装电梯"), "di and ti differ");
        // Confusions of input-method users: n/l, zh/z, ing/in.
        assert_eq!(folded("留言"), folded("牛言"));
        assert_eq!(folded("支持"), folded("资持"));
        assert_eq!(folded("应急"), folded("因急"));
        // Different sounds stay apart; rare readings do not make homophones (单 as chan).
        assert_ne!(folded("停车"), folded("教育"));
        assert_ne!(folded("产立"), folded("单位"));
        assert_eq!(spelling("单位").as_deref(), Some("dan wei"));
        assert_eq!(spelling("停车A"), None);
        assert_eq!(fold_syllable("zhang"), "zan");
        assert_eq!(fold_syllable("ling"), "nin");
    }
}
