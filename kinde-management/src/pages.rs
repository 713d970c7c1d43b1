//! Pagination as streams: the list operations that page by `next_token` (users,
//! organisations, an organisation's users, roles, permissions, applications, …) walk
//! every page with `into_stream()`, which asks for the next page only when the stream
//! reaches it.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use kinde_management::Paginated;
//!
//! # async fn run(client: kinde_management::Client) -> Result<(), kinde_management::ManagementError> {
//! let mut users = client.get_users().page_size(100).into_stream();
//! while let Some(user) = users.try_next().await? {
//!     println!("{:?}", user.email);
//! }
//! # Ok(()) }
//! ```

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;

use futures::stream::{self, BoxStream, StreamExt};
use progenitor_client::{Error, ResponseValue};

use crate::types;

/// The future of one page's request.
pub type PageFuture<'a, P> = Pin<
    Box<dyn Future<Output = Result<ResponseValue<P>, Error<types::ErrorResponse>>> + Send + 'a>,
>;

/// A list operation's builder whose answer pages by `next_token` (generated for each of
/// them from the spec).
pub trait Paginated<'a>: Sized + Send + 'a {
    /// One page's answer.
    type Page: Send + 'a;
    /// One listed item.
    type Item: Send + 'a;

    /// The same request for the page after `token`.
    fn with_next_token(self, token: String) -> Self;

    /// A page's items and the token of the page after it.
    fn into_parts(page: Self::Page) -> (Vec<Self::Item>, Option<String>);

    /// Send this request (one page).
    fn send_page(self) -> PageFuture<'a, Self::Page>;

    /// Every item of every page, in order. A page's error ends the stream after it is
    /// yielded; a `next_token` seen before (a server going round in circles) ends it
    /// too.
    fn into_stream(self) -> BoxStream<'a, Result<Self::Item, Error<types::ErrorResponse>>>
    where
        Self: Clone,
    {
        struct Walk<B, T> {
            next: Option<B>,
            buffered: VecDeque<T>,
            seen: HashSet<String>,
        }
        let start = Walk {
            next: Some(self),
            buffered: VecDeque::new(),
            seen: HashSet::new(),
        };
        stream::unfold(start, |mut walk| async move {
            loop {
                if let Some(item) = walk.buffered.pop_front() {
                    return Some((Ok(item), walk));
                }
                let request = walk.next.take()?;
                let retry = request.clone();
                match request.send_page().await {
                    Err(e) => return Some((Err(e), walk)),
                    Ok(page) => {
                        let (items, token) = Self::into_parts(page.into_inner());
                        walk.buffered.extend(items);
                        walk.next = token
                            .filter(|t| !t.is_empty() && walk.seen.insert(t.clone()))
                            .map(|t| retry.with_next_token(t));
                    }
                }
            }
        })
        .boxed()
    }
}
