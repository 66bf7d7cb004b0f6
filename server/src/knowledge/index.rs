//! One organization's full-text index: BM25 over passages of its files,
//! with English stemming, held in memory. It is a cache of the stored texts
//! and can always be rebuilt from them.

use echo_protocol::knowledge::SearchHit;
use echo_protocol::FileId;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::store::KnowledgeText;

/// Passages are about this long, so a hit points at the part of a long file
/// that matched and the agent gets focused context.
const PASSAGE_CHARS: usize = 1200;
const SNIPPET_CHARS: usize = 300;
/// Tantivy's indexing arena; its minimum is 15 MB.
const WRITER_BYTES: usize = 20_000_000;

#[derive(Clone, Copy)]
struct Fields {
    file_id: Field,
    name: Field,
    body: Field,
}

pub struct OrgIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// A passage that matched a search, best first.
#[derive(Debug, Clone)]
pub struct Passage {
    pub file_id: FileId,
    pub name: String,
    pub text: String,
    pub snippet: String,
    pub score: f32,
}

fn schema() -> (Schema, Fields) {
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let mut builder = Schema::builder();
    let fields = Fields {
        file_id: builder.add_text_field("file_id", STRING | STORED),
        name: builder.add_text_field("name", text.clone()),
        body: builder.add_text_field("body", text),
    };
    (builder.build(), fields)
}

/// Splits text into passages of about `PASSAGE_CHARS`, at paragraph breaks
/// where it can and at whitespace otherwise.
pub fn passages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if !current.is_empty() && current.len() + paragraph.len() > PASSAGE_CHARS {
            out.push(std::mem::take(&mut current));
        }
        for word in paragraph.split_inclusive(char::is_whitespace) {
            if current.len() + word.len() > PASSAGE_CHARS && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.push_str(word);
        }
        current.push_str("\n\n");
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out.into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

impl OrgIndex {
    /// An index of these files.
    pub fn build(files: &[KnowledgeText]) -> tantivy::Result<Self> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let this = Self {
            index,
            reader,
            fields,
        };
        if !files.is_empty() {
            let mut writer = this.writer()?;
            for file in files {
                this.add_to(&mut writer, file)?;
            }
            this.commit(writer)?;
        }
        Ok(this)
    }

    fn writer(&self) -> tantivy::Result<IndexWriter> {
        self.index.writer_with_num_threads(1, WRITER_BYTES)
    }

    fn commit(&self, mut writer: IndexWriter) -> tantivy::Result<()> {
        writer.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()
    }

    fn add_to(&self, writer: &mut IndexWriter, file: &KnowledgeText) -> tantivy::Result<()> {
        let f = self.fields;
        for passage in passages(&file.text) {
            writer.add_document(doc!(
                f.file_id => file.id.to_string(),
                f.name => file.name.clone(),
                f.body => passage,
            ))?;
        }
        Ok(())
    }

    pub fn add(&self, file: &KnowledgeText) -> tantivy::Result<()> {
        let mut writer = self.writer()?;
        self.add_to(&mut writer, file)?;
        self.commit(writer)
    }

    pub fn remove(&self, id: FileId) -> tantivy::Result<()> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.fields.file_id, &id.to_string()));
        self.commit(writer)
    }

    /// The passages that best match `query` (any words; never a syntax
    /// error), best first.
    pub fn search(&self, query: &str, limit: usize) -> tantivy::Result<Vec<Passage>> {
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.name, f.body]);
        parser.set_field_boost(f.name, 2.0);
        let (query, _ignored) = parser.parse_query_lenient(query);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut snippets = SnippetGenerator::create(&searcher, &*query, f.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let Some(file_id) = FileId::parse(&text_of(f.file_id)) else {
                continue;
            };
            let text = text_of(f.body);
            let fragment = snippets.snippet_from_doc(&doc).fragment().trim().to_owned();
            let snippet = if fragment.is_empty() {
                text.chars().take(SNIPPET_CHARS).collect()
            } else {
                fragment
            };
            out.push(Passage {
                file_id,
                name: text_of(f.name),
                text,
                snippet,
                score,
            });
        }
        Ok(out)
    }
}

impl Passage {
    pub fn into_hit(self) -> SearchHit {
        SearchHit {
            file_id: self.file_id,
            name: self.name,
            snippet: self.snippet,
            score: self.score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> KnowledgeText {
        KnowledgeText {
            id: FileId::from_uuid(uuid::Uuid::new_v4()),
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn passages_stay_near_the_target_length() {
        let text = "word ".repeat(1000);
        let parts = passages(&text);
        assert!(parts.len() >= 4);
        assert!(parts.iter().all(|p| p.len() <= PASSAGE_CHARS));
        assert_eq!(passages("one\n\ntwo"), vec!["one\n\ntwo".to_owned()]);
        assert!(passages("  \n\n ").is_empty());
    }

    #[test]
    fn finds_stemmed_words_and_ranks_the_better_match_first() {
        let refunds = file(
            "refunds.md",
            "Refunds are issued within 14 days of a return.",
        );
        let shipping = file(
            "shipping.md",
            "We ship worldwide. Shipping is free over 50 euros. Refund questions: see refunds.",
        );
        let index = OrgIndex::build(&[refunds.clone(), shipping]).unwrap();
        let hits = index.search("how do I get a refund", 5).unwrap();
        assert_eq!(hits[0].file_id, refunds.id);
        assert!(hits[0].snippet.contains("Refunds"));
        assert!(index.search("\"unbalanced AND (", 5).is_ok());
        assert!(index.search("nothing-matches-this", 5).unwrap().is_empty());
    }

    #[test]
    fn added_and_removed_files_show_up_at_once() {
        let index = OrgIndex::build(&[]).unwrap();
        let pricing = file("pricing.txt", "The pro plan costs 29 dollars a month.");
        index.add(&pricing).unwrap();
        assert_eq!(index.search("pro plan price", 5).unwrap().len(), 1);
        index.remove(pricing.id).unwrap();
        assert!(index.search("pro plan", 5).unwrap().is_empty());
    }
}
