//! A visitor's satisfaction rating as the console shows it: stars for the
//! eye, the score in words for everyone (the stars are not read aloud).

/// The score's words, as the widget and the mail name them.
pub fn words(score: u8) -> &'static str {
    match score {
        1 => "very dissatisfied",
        2 => "dissatisfied",
        3 => "neutral",
        4 => "satisfied",
        _ => "very satisfied",
    }
}

/// Filled and empty stars for a score of 1 to 5.
pub fn stars(score: u8) -> String {
    let filled = usize::from(score.min(5));
    format!(
        "{}{}",
        "\u{2605}".repeat(filled),
        "\u{2606}".repeat(5 - filled)
    )
}
