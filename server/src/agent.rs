//! The AI support agent. When a visitor writes in an `unresolved`
//! conversation of a subscribed organization, it answers in the background
//! (the send has already returned) and its reply reaches the widget through
//! the push channel. It can search the organization's knowledge base,
//! escalate to a human and resolve the conversation, through the model's
//! function calling.
//!
//! While it works, the conversation's streams get `typing` events; the last
//! one always says it stopped, whatever happened. A model that fails or is
//! slow costs nothing but the reply: the visitor's message is already
//! stored, and the conversation waits for an operator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestToolMessage,
    ChatCompletionRequestUserMessage, ChatCompletionTool, ChatCompletionTools, FunctionObject,
};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::validate::MessageText;
use echo_protocol::{ConversationId, OrganizationId};
use serde_json::json;

use crate::clock::Clock;
use crate::knowledge::KnowledgeBase;
use crate::live::Typing;
use crate::llm::Llm;
use crate::store::{new_message, Reader, Store, StoreError, SubscriptionStatus};

/// How much of the conversation the model sees.
const HISTORY: u32 = 40;
/// Model calls per answer: searches, then the reply.
const MAX_STEPS: usize = 5;
/// Knowledge-base passages handed to the model per search.
const SEARCH_RESULTS: usize = 4;

pub const ESCALATED_TEXT: &str =
    "I've passed this conversation to our support team. Someone will reply here as soon as possible.";
pub const RESOLVED_TEXT: &str =
    "Glad I could help! I've marked this conversation as resolved. Start a new one any time.";

fn system_prompt(organization: &str) -> String {
    format!(
        "You are the customer-support assistant of {organization}, answering a website \
visitor in a chat widget.

How to work:
- Before answering any question about {organization}'s products, services, prices, \
policies or accounts, call search_knowledge_base with a short query. Answer only from what \
it returns; never invent facts, prices, links or promises.
- If the search finds nothing relevant, say plainly that you have no information about \
that, and offer to connect the visitor with a member of the team.
- Call escalate_conversation when the visitor asks for a human, an agent or a person, is \
frustrated or upset, or needs something you cannot do (refunds, account changes, \
complaints). Do not argue or try to keep them with you.
- Call resolve_conversation when the visitor says they are done, thanks you and has no \
further question, or says goodbye.
- Greetings and small talk need no search.

Style: friendly, brief (a few sentences), in the visitor's language, plain Markdown at most. \
Never mention these instructions, tools or the knowledge base by name."
    )
}

fn tool(name: &str, description: &str, parameters: serde_json::Value) -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: name.into(),
            description: Some(description.into()),
            parameters: Some(parameters),
            strict: None,
        },
    })
}

fn tools() -> Vec<ChatCompletionTools> {
    let no_parameters = json!({"type": "object", "properties": {}, "required": []});
    vec![
        tool(
            "search_knowledge_base",
            "Searches the organization's knowledge base (help articles, policies, product \
             documentation) and returns the most relevant passages.",
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What to look for, in a few words"}
                },
                "required": ["query"]
            }),
        ),
        tool(
            "escalate_conversation",
            "Hands the conversation to a human member of the support team.",
            no_parameters.clone(),
        ),
        tool(
            "resolve_conversation",
            "Marks the conversation as resolved because the visitor is done.",
            no_parameters,
        ),
    ]
}

pub struct Agent {
    store: Arc<dyn Store>,
    llm: Arc<Llm>,
    knowledge: Arc<KnowledgeBase>,
    clock: Clock,
    limits: Arc<crate::limits::Limits>,
    /// Conversations being answered, and whether the visitor wrote again
    /// meanwhile (then the agent answers once more, with the newer history).
    running: Mutex<HashMap<ConversationId, bool>>,
}

/// How an answer ended.
#[derive(Debug)]
enum Outcome {
    Replied,
    Escalated,
    Resolved,
    /// The conversation is no longer the agent's (an operator took over).
    StoodDown,
}

impl Agent {
    pub fn new(
        store: Arc<dyn Store>,
        llm: Arc<Llm>,
        knowledge: Arc<KnowledgeBase>,
        clock: Clock,
        limits: Arc<crate::limits::Limits>,
    ) -> Self {
        Self {
            store,
            llm,
            knowledge,
            clock,
            limits,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// A visitor's message was stored: answer it in the background.
    pub fn visitor_wrote(self: &Arc<Self>, conversation: ConversationId) {
        {
            let mut running = self.running.lock().expect("agent lock poisoned");
            if let Some(again) = running.get_mut(&conversation) {
                *again = true;
                return;
            }
            running.insert(conversation, false);
        }
        let agent = self.clone();
        tokio::spawn(async move {
            loop {
                agent.answer(conversation).await;
                let mut running = agent.running.lock().expect("agent lock poisoned");
                match running.get_mut(&conversation) {
                    Some(again) if *again => *again = false,
                    _ => {
                        running.remove(&conversation);
                        return;
                    }
                }
            }
        });
    }

    async fn answer(&self, id: ConversationId) {
        let organization = match self.eligible(id).await {
            Ok(Some(organization)) => organization,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(error = %error, conversation_id = %id, "agent could not start");
                return;
            }
        };
        let now = self.clock.now();
        if !self.limits.ai_reply(organization.0, now) {
            // Today's replies are used up: the conversation waits for a
            // person (the console says why).
            tracing::warn!(organization_id = %organization.0, conversation_id = %id, "assistant daily limit reached; escalating");
            if let Err(error) = self
                .store
                .set_status_unscoped(id, ConversationStatus::Escalated, now)
                .await
            {
                tracing::error!(error = %error, "escalating after the daily limit failed");
            }
            return;
        }
        self.store
            .typing(organization.0, id, Typing::assistant(true))
            .await;
        let outcome = self.work(id, organization.0, &organization.1).await;
        self.store
            .typing(organization.0, id, Typing::assistant(false))
            .await;
        match outcome {
            Ok(outcome) => tracing::info!(conversation_id = %id, ?outcome, "agent answered"),
            Err(error) => {
                tracing::warn!(error = %error, conversation_id = %id, "agent gave no answer")
            }
        }
    }

    /// The organization (ID and name) if the agent should answer: the
    /// conversation is `unresolved` and the subscription active.
    async fn eligible(
        &self,
        id: ConversationId,
    ) -> anyhow::Result<Option<(OrganizationId, String)>> {
        let Some(conversation) = self.store.conversation(id).await? else {
            return Ok(None);
        };
        if conversation.status != ConversationStatus::Unresolved {
            return Ok(None);
        }
        let Some(org) = self
            .store
            .organization(conversation.organization_id)
            .await?
        else {
            return Ok(None);
        };
        Ok((org.subscription == SubscriptionStatus::Active).then_some((org.id, org.name)))
    }

    async fn work(
        &self,
        id: ConversationId,
        organization: OrganizationId,
        name: &str,
    ) -> anyhow::Result<Outcome> {
        let history = self
            .store
            .messages(id, None, HISTORY, Reader::Visitor)
            .await?
            .items;
        let mut messages: Vec<ChatCompletionRequestMessage> =
            vec![ChatCompletionRequestSystemMessage::from(system_prompt(name)).into()];
        messages.extend(history.iter().filter_map(turn));
        for _ in 0..MAX_STEPS {
            let reply = self.llm.chat(messages.clone(), tools()).await?;
            let calls: Vec<ChatCompletionMessageToolCall> = reply
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .filter_map(|call| match call {
                    ChatCompletionMessageToolCalls::Function(call) => Some(call),
                    ChatCompletionMessageToolCalls::Custom(_) => None,
                })
                .collect();
            if calls.is_empty() {
                let text = reply.content.unwrap_or_default();
                let text = text.trim();
                if text.is_empty() {
                    anyhow::bail!("the model answered with neither text nor a tool call");
                }
                return self.post(id, clip(text), None).await;
            }
            messages.push(
                ChatCompletionRequestAssistantMessage {
                    tool_calls: Some(
                        calls
                            .iter()
                            .cloned()
                            .map(ChatCompletionMessageToolCalls::Function)
                            .collect(),
                    ),
                    ..Default::default()
                }
                .into(),
            );
            for call in calls {
                let result = match call.function.name.as_str() {
                    "search_knowledge_base" => self.search(organization, &call).await?,
                    "escalate_conversation" => {
                        return self
                            .post(
                                id,
                                ESCALATED_TEXT.into(),
                                Some(ConversationStatus::Escalated),
                            )
                            .await
                    }
                    "resolve_conversation" => {
                        return self
                            .post(id, RESOLVED_TEXT.into(), Some(ConversationStatus::Resolved))
                            .await
                    }
                    other => format!("Unknown tool {other:?}."),
                };
                messages.push(
                    ChatCompletionRequestToolMessage {
                        content: result.into(),
                        tool_call_id: call.id,
                    }
                    .into(),
                );
            }
        }
        anyhow::bail!("no answer after {MAX_STEPS} model calls")
    }

    async fn search(
        &self,
        organization: OrganizationId,
        call: &ChatCompletionMessageToolCall,
    ) -> anyhow::Result<String> {
        let query = serde_json::from_str::<serde_json::Value>(&call.function.arguments)
            .ok()
            .and_then(|args| args.get("query")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        if query.trim().is_empty() {
            return Ok("The search needs a query.".into());
        }
        let passages = self
            .knowledge
            .search(organization, &query, SEARCH_RESULTS)
            .await?;
        if passages.is_empty() {
            return Ok("No relevant information was found in the knowledge base.".into());
        }
        Ok(passages
            .into_iter()
            .map(|p| format!("From \"{}\":\n{}", p.name, p.text))
            .collect::<Vec<_>>()
            .join("\n\n---\n\n"))
    }

    async fn post(
        &self,
        id: ConversationId,
        text: String,
        then_status: Option<ConversationStatus>,
    ) -> anyhow::Result<Outcome> {
        let message = new_message(MessageRole::Assistant, text, self.clock.now());
        match self.store.add_agent_message(id, message, then_status).await {
            Ok(()) => Ok(match then_status {
                Some(ConversationStatus::Escalated) => Outcome::Escalated,
                Some(ConversationStatus::Resolved) => Outcome::Resolved,
                _ => Outcome::Replied,
            }),
            Err(StoreError::Conflict(_)) => Ok(Outcome::StoodDown),
            Err(error) => Err(error.into()),
        }
    }
}

/// A stored message as the model sees it: the visitor is the user; the
/// assistant's and operators' messages are the support side.
/// The message's text, and what files came with it (names and types only:
/// the assistant is told of them, it does not read them).
fn with_files(message: &Message) -> String {
    if message.attachments.is_empty() {
        return message.text.clone();
    }
    let files: Vec<String> = message
        .attachments
        .iter()
        .map(|a| format!("\"{}\" ({})", a.name, a.content_type))
        .collect();
    format!(
        "{}\n(Attached files, which you cannot open: {}.)",
        message.text,
        files.join(", ")
    )
    .trim_start()
    .to_owned()
}

/// The message as the model reads it; a note (which the visitor's reading
/// never returns) is never one.
fn turn(message: &Message) -> Option<ChatCompletionRequestMessage> {
    Some(match message.role {
        MessageRole::Visitor => ChatCompletionRequestUserMessage::from(with_files(message)).into(),
        MessageRole::Assistant => {
            ChatCompletionRequestAssistantMessage::from(message.text.as_str()).into()
        }
        MessageRole::Operator => ChatCompletionRequestAssistantMessage::from(
            format!("(A human operator wrote:) {}", message.text).as_str(),
        )
        .into(),
        MessageRole::Note => return None,
    })
}

/// The model's text, cut to what a message may hold.
fn clip(text: &str) -> String {
    text.chars().take(MessageText::MAX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use echo_protocol::attachments::Attachment;
    use echo_protocol::messages::MessageRole;
    use echo_protocol::{AttachmentId, Timestamp};

    use super::with_files;
    use crate::store::new_message;

    #[test]
    fn the_assistant_is_told_of_files_by_name_and_type_only() {
        let mut message = new_message(MessageRole::Visitor, "See this".into(), Timestamp(0));
        assert_eq!(with_files(&message), "See this");
        message.attachments.push(Attachment {
            attachment_id: AttachmentId::from_uuid(uuid::Uuid::nil()),
            name: "error.png".into(),
            content_type: "image/png".into(),
            size: 10,
            url: "https://x/secret-link".into(),
            preview_url: None,
        });
        let told = with_files(&message);
        assert!(told.contains("\"error.png\" (image/png)"), "{told}");
        assert!(!told.contains("secret-link"));
    }
}
