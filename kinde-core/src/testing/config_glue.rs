//! Glue from a [`TestKinde`] to the crate's configuration.

use super::TestKinde;

impl TestKinde {
    /// A [`KindeConfigBuilder`](crate::KindeConfigBuilder) pointed at this server: domain =
    /// [`issuer`](Self::issuer), the default client's id and (if it has one) secret.
    /// Add redirect URIs and the like, then build.
    pub fn config_builder(&self) -> crate::KindeConfigBuilder {
        let builder = crate::KindeConfig::builder()
            .domain(self.issuer())
            .client_id(self.client_id());
        match self.client_secret() {
            Some(secret) => builder.client_secret(secret),
            None => builder,
        }
    }
}
