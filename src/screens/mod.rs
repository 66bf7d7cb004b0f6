//! One module per screen of the widget's state machine, plus the header they
//! share.

mod auth;
mod chat;
mod error;
mod header;
mod inbox;
mod loading;
mod selection;

pub use auth::AuthScreen;
pub use chat::ChatScreen;
pub use error::ErrorScreen;
pub use header::Header;
pub use inbox::InboxScreen;
pub use loading::LoadingScreen;
pub use selection::SelectionScreen;
