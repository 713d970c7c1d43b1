//! `searchUsers`, written by hand: its `properties` query parameter is a `deepObject`,
//! which the generator refuses. Each property value is sent as
//! `properties[<key>]=<value>`, once per value (`explode: true`).

use progenitor_client::{Error, ResponseValue};

use crate::{Client, types};

/// Builder for [`Client::search_users`] (`GET /api/v1/search/users`): the same
/// setters as the generated builders, and `send`.
#[derive(Debug, Clone)]
pub struct SearchUsers<'a> {
    client: &'a Client,
    query: Vec<(String, String)>,
}

impl<'a> SearchUsers<'a> {
    fn set(mut self, name: &str, value: impl ToString) -> Self {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Number of results per page (Kinde's default: 10).
    pub fn page_size(self, value: i64) -> Self {
        self.set("page_size", value)
    }

    /// Search the users by email or name; `*` for all.
    pub fn query(self, value: impl Into<String>) -> Self {
        self.set("query", value.into())
    }

    /// Search the users by API scopes.
    pub fn api_scopes(self, value: impl Into<String>) -> Self {
        self.set("api_scopes", value.into())
    }

    /// Users with property `key` set to one of `values`.
    pub fn property<I, V>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        let name = format!("properties[{}]", key.into());
        self.query.retain(|(n, _)| *n != name);
        for value in values {
            self.query.push((name.clone(), value.into()));
        }
        self
    }

    /// The page after the user with this id.
    pub fn starting_after(self, value: impl Into<String>) -> Self {
        self.set("starting_after", value.into())
    }

    /// The page before the user with this id.
    pub fn ending_before(self, value: impl Into<String>) -> Self {
        self.set("ending_before", value.into())
    }

    /// Additional data, comma-separated: `organizations`, `identities`, `properties`.
    pub fn expand(self, value: impl Into<String>) -> Self {
        self.set("expand", value.into())
    }

    /// Sends a `GET` request to `/api/v1/search/users`.
    pub async fn send(
        self,
    ) -> Result<ResponseValue<types::SearchUsersResponse>, Error<types::ErrorResponse>> {
        let request = self
            .client
            .client
            .get(self.client.url("/api/v1/search/users"))
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&self.query)
            .build()?;
        self.client.send_built(request, "search_users").await
    }
}

impl Client {
    /// Search users (`GET /api/v1/search/users`, `searchUsers`).
    ///
    /// ```no_run
    /// # async fn run(client: kinde_management::Client) -> Result<(), kinde_management::ManagementError> {
    /// let found = client
    ///     .search_users()
    ///     .query("ada")
    ///     .property("plan", ["pro", "team"])
    ///     .send()
    ///     .await?;
    /// # let _ = found; Ok(()) }
    /// ```
    pub fn search_users(&self) -> SearchUsers<'_> {
        SearchUsers {
            client: self,
            query: Vec::new(),
        }
    }
}
