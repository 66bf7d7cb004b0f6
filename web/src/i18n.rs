//! The widget's words: every string a visitor sees is a [`Msg`], English
//! by default. Another language's catalogue (`public/locales/<lang>.json`,
//! a JSON array in [`Msg`] order) is fetched only for a visitor who reads
//! it, so English visitors download none. The loader (`public/embed.js`)
//! gets the first four entries from the server (built into it) with the
//! organization's settings.
//!
//! The console does not load a catalogue, so the shared file views it
//! uses stay English there.

use std::cell::{Cell, RefCell};

/// Declares the messages and their English text in one list, so the enum
/// and the English table cannot drift apart.
macro_rules! messages {
    ($($name:ident = $en:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($name,)* }
        /// English, in [`Msg`] order: the order of every catalogue.
        pub const ENGLISH: &[&str] = &[$($en,)*];
    };
}

messages! {
    // The loader's words first: the server gives it entries 0-3.
    OpenChat = "Open chat",
    CloseChat = "Close chat",
    OpenChatUnread = "Open chat, {} unread",
    ChatFrame = "Chat",
    // Errors, in words a visitor understands.
    NetworkError = "We couldn't reach the chat server. Check your connection and try again.",
    SessionExpired = "Your chat session has expired. Please introduce yourself again.",
    TooQuick = "You're sending messages too quickly, try again in a moment.",
    CheckInput = "Please check what you entered and try again.",
    ServerError = "Something went wrong on our side. Please try again.",
    UnknownOrganization = "This organization was not found. Please check the organization ID in the widget's embed code.",
    OrganizationRequired = "Organization ID is required",
    SomethingWrong = "Something went wrong",
    TryAgain = "Try again",
    // Loading.
    Loading = "Loading...",
    Validating = "Validating session...",
    // The header.
    Support = "Support",
    ReplyTime = "We typically reply in a few minutes",
    Back = "Back",
    // The pre-chat form.
    HiThere = "Hi there!",
    Introduce = "Let us know who you are to start chatting.",
    Name = "Name",
    NamePlaceholder = "Jane Doe",
    Email = "Email",
    NameRequired = "Name is required",
    NameTooLong = "Name must be at most {} characters",
    EmailRequired = "Email is required",
    EmailInvalid = "Email must be a valid email address",
    EmailTooLong = "Email must be at most {} characters",
    Continue = "Continue",
    Continuing = "Continuing...",
    // Selection and inbox.
    HowCanWeHelp = "How can we help?",
    StartPrompt = "Start a conversation and we'll get back to you right here.",
    StartChat = "Start chat",
    Starting = "Starting...",
    MyConversations = "My conversations",
    YourConversations = "Your conversations",
    Conversations = "Conversations",
    StatusOpen = "Open",
    StatusEscalated = "With an agent",
    StatusResolved = "Resolved",
    SentFile = "Sent a file",
    NoMessages = "No messages yet",
    NoConversations = "No conversations yet.",
    LoadMore = "Load more",
    // Chat.
    You = "You",
    Assistant = "Assistant",
    SupportTeam = "Support team",
    LoadingEarlier = "Loading earlier messages...",
    LoadingMessages = "Loading messages",
    Messages = "Messages",
    WaitingForConnection = "Waiting for connection",
    Typing = "The assistant is typing",
    Suggestions = "Suggestions",
    Reconnecting = "Reconnecting...",
    Resolved = "This conversation has been resolved.",
    EmailTranscript = "Email me this conversation",
    EmailingTranscript = "We are emailing this conversation to {}.",
    TranscriptLimit = "This conversation was already emailed three times today.",
    NoEmailAddress = "We have no email address to send it to.",
    Retry = "Retry",
    AttachFile = "Attach a file",
    Message = "Message",
    Closed = "This conversation is closed",
    WriteMessage = "Write a message...",
    Send = "Send message",
    MessageTooLong = "Messages can be at most {} characters.",
    FilesWhileReconnecting = "Reconnecting... send the files once it is back.",
    // Files.
    FilesToSend = "Files to send",
    Ready = "Ready",
    UploadProgress = "Upload progress",
    Remove = "Remove {}",
    TooLarge = "This file is too large to send.",
    TypeNotAllowed = "This type of file can't be sent: images, PDF, text, CSV or ZIP only.",
    UploadFailed = "The upload failed; try again.",
    TooManyFiles = "You're sending files too quickly; try again in a little while.",
    CannotProcess = "This file couldn't be processed; it may be too large or damaged.",
    ConfirmTranscript = "We sent a link to {}: confirm your address there and the conversation follows.",
    IsTyping = "{} is typing...",
    // Business hours: the header and the form while the desk is closed.
    ReplyHours = "We typically reply in a few hours",
    ReplyDay = "We typically reply within a day",
    BackAt = "Back {} at {}",
    IntroduceAway = "We're away now: leave your name and email, and we'll answer you by email.",
    // Rating a resolved conversation.
    RateHow = "How satisfied are you with the help you got?",
    Score1 = "Very dissatisfied",
    Score2 = "Dissatisfied",
    Score3 = "Neutral",
    Score4 = "Satisfied",
    Score5 = "Very satisfied",
    RateComment = "Anything to add? (optional)",
    RateSend = "Send rating",
    RateThanks = "Thanks for your rating!",
    // Voice: "Call us" and calls with the assistant.
    StartVoiceCall = "Start voice call",
    CallUs = "Call us",
    CallUsPrompt = "Call us at this number:",
    CopyNumber = "Copy number",
    Copied = "Copied",
    VoiceCall = "Voice call",
    MicAsking = "Allow the microphone to talk with the assistant.",
    MicBlocked = "The microphone is blocked. Allow it for this site in your browser's settings (the icon beside the address), then try again.",
    VoiceConnecting = "Connecting...",
    VoiceListening = "Listening...",
    VoiceSpeaking = "The assistant is speaking",
    Mute = "Mute",
    Unmute = "Unmute",
    EndCall = "End call",
    CallEnded = "The call has ended.",
    VoiceUnavailable = "Voice calls are unavailable right now. Please try again later.",
}

/// The languages with a catalogue, English first.
pub const LANGUAGES: &[&str] = &["en", "es", "fr", "de", "pt", "ja", "ar"];

thread_local! {
    static CATALOGUE: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    static LANGUAGE: Cell<&'static str> = const { Cell::new("en") };
}

/// The text of `msg` in the visitor's language (English when the
/// catalogue lacks it).
pub fn t(msg: Msg) -> &'static str {
    let i = msg as usize;
    CATALOGUE
        .with(|c| c.borrow().get(i).copied())
        .unwrap_or(ENGLISH[i])
}

/// The header's line for how soon the team answers.
pub fn reply_time(reply: echo_protocol::hours::ReplyTime) -> Msg {
    match reply {
        echo_protocol::hours::ReplyTime::Minutes => Msg::ReplyTime,
        echo_protocol::hours::ReplyTime::Hours => Msg::ReplyHours,
        echo_protocol::hours::ReplyTime::Day => Msg::ReplyDay,
    }
}

/// `msg` with its `{}` replaced by `value`.
pub fn tf(msg: Msg, value: &str) -> String {
    t(msg).replacen("{}", value, 1)
}

/// The visitor's language: one of [`LANGUAGES`].
pub fn language() -> &'static str {
    LANGUAGE.with(Cell::get)
}

/// Right-to-left scripts among [`LANGUAGES`].
pub fn is_rtl(language: &str) -> bool {
    language == "ar"
}

/// The first of `wanted` (BCP 47 tags, best first) we have a catalogue for,
/// matched on the primary subtag ("pt-BR" reads "pt"); else English.
pub fn choose<'a>(wanted: impl IntoIterator<Item = &'a str>) -> &'static str {
    wanted
        .into_iter()
        .find_map(|tag| {
            let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
            LANGUAGES.iter().copied().find(|l| *l == primary)
        })
        .unwrap_or("en")
}

/// Makes `language` the visitor's and installs its catalogue (its strings
/// live as long as the page). A catalogue of the wrong length is ignored:
/// English is better than words in the wrong places.
pub fn install(language: &'static str, catalogue: Vec<String>) {
    LANGUAGE.with(|l| l.set(language));
    if catalogue.len() == ENGLISH.len() {
        let words = catalogue
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect();
        CATALOGUE.with(|c| *c.borrow_mut() = words);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_matches_primary_subtags_in_order() {
        assert_eq!(choose(["pt-BR", "en"]), "pt");
        assert_eq!(choose(["zh-CN", "de-AT"]), "de");
        assert_eq!(choose(["AR"]), "ar");
        assert_eq!(choose(["zh", "ko"]), "en");
        assert_eq!(choose([]), "en");
        assert_eq!(choose(["", "-"]), "en");
    }

    #[test]
    fn english_until_a_catalogue_is_installed() {
        assert_eq!(t(Msg::Continue), "Continue");
        assert_eq!(tf(Msg::Remove, "a.png"), "Remove a.png");
        install("es", vec!["x".into()]);
        assert_eq!(t(Msg::Continue), "Continue", "a short catalogue is ignored");
        let mut es: Vec<String> = ENGLISH.iter().map(|s| s.to_string()).collect();
        es[Msg::Continue as usize] = "Continuar".into();
        install("es", es);
        assert_eq!(t(Msg::Continue), "Continuar");
        assert_eq!(language(), "es");
    }

    /// Every catalogue has every message, keeps its `{}` and is not
    /// English left untranslated.
    #[test]
    fn catalogues_are_complete() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../public/locales");
        for language in &LANGUAGES[1..] {
            let path = format!("{dir}/{language}.json");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let words: Vec<String> = serde_json::from_str(&text).expect(&path);
            assert_eq!(words.len(), ENGLISH.len(), "{path}: entries");
            let mut same = 0;
            for (english, word) in ENGLISH.iter().zip(&words) {
                assert!(!word.trim().is_empty(), "{path}: empty for {english:?}");
                assert_eq!(
                    english.matches("{}").count(),
                    word.matches("{}").count(),
                    "{path}: placeholder in {word:?}"
                );
                same += usize::from(english == word);
            }
            // Some words are the same in both ("Messages" in French).
            assert!(
                same * 10 < ENGLISH.len(),
                "{path}: {same} entries still English"
            );
        }
    }

    /// The catalogues on disk and the loader's own list are these languages.
    #[test]
    fn the_loader_and_the_files_know_the_same_languages() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut files: Vec<String> = std::fs::read_dir(format!("{root}/public/locales"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut expected: Vec<String> =
            LANGUAGES[1..].iter().map(|l| format!("{l}.json")).collect();
        expected.sort();
        assert_eq!(files, expected);
        let loader = std::fs::read_to_string(format!("{root}/public/embed.js")).unwrap();
        assert!(
            loader.contains(&format!("\"{}\"", LANGUAGES.join(" "))),
            "embed.js lists {LANGUAGES:?}"
        );
    }
}
