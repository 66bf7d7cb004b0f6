//! Access to a large language model through any OpenAI-compatible
//! chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp's server), via
//! the async-openai client with a custom base URL.
//!
//! Each attempt has a timeout. Retries are async-openai's own: up to three
//! more attempts on 429, 5xx and connection failures, honouring
//! `Retry-After`, else backing off from 100 ms doubling to 8 s. The API key
//! is never logged.

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, ChatCompletionResponseMessage, ChatCompletionTools,
    CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use secrecy::{ExposeSecret, SecretString};

/// Where the model is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("the language model is unavailable: {0}")]
pub struct LlmUnavailable(String);

pub struct Llm {
    client: Client<OpenAIConfig>,
    model: String,
    /// Calls by outcome, for `/metrics`.
    pub calls: crate::metrics::Outcomes,
}

/// A message of a conversation with the model.
pub enum Turn {
    System(String),
    User(String),
}

impl Llm {
    pub fn new(config: LlmConfig) -> anyhow::Result<Self> {
        let mut openai = OpenAIConfig::new().with_api_base(config.base_url.trim_end_matches('/'));
        if let Some(key) = &config.api_key {
            openai = openai.with_api_key(key.expose_secret());
        }
        let http = openai_http::Client::builder()
            .timeout(config.timeout)
            .build()?;
        Ok(Self {
            client: Client::with_config(openai).with_http_client(http),
            model: config.model,
            calls: Default::default(),
        })
    }

    /// One step of a conversation with tools: the model's message, which
    /// holds text or tool calls.
    pub async fn chat(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        tools: Vec<ChatCompletionTools>,
    ) -> Result<ChatCompletionResponseMessage, LlmUnavailable> {
        let mut request = CreateChatCompletionRequestArgs::default();
        request.model(self.model.clone()).messages(messages);
        // Some servers refuse an empty `tools` list: send none instead.
        if !tools.is_empty() {
            request.tools(tools);
        }
        let request = request.build().map_err(|e| LlmUnavailable(e.to_string()))?;
        let response = self.client.chat().create(request).await;
        crate::metrics::count_outcome(&self.calls, response.is_ok());
        let response = response.map_err(|error| {
            tracing::warn!(error = %error, "LLM call failed");
            LlmUnavailable(error.to_string())
        })?;
        response
            .choices
            .into_iter()
            .next()
            .map(|choice| choice.message)
            .ok_or_else(|| LlmUnavailable("the model returned no choice".into()))
    }

    /// The model's answer to `turns`.
    pub async fn complete(&self, turns: Vec<Turn>) -> Result<String, LlmUnavailable> {
        let messages = turns
            .into_iter()
            .map(|turn| match turn {
                Turn::System(text) => ChatCompletionRequestSystemMessage::from(text).into(),
                Turn::User(text) => ChatCompletionRequestUserMessage::from(text).into(),
            })
            .collect();
        self.chat(messages, Vec::new())
            .await?
            .content
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| LlmUnavailable("the model returned no text".into()))
    }
}
