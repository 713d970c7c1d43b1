//! The two logo uploads (`AddLogo`, `AddOrganizationLogo`), written by hand: their
//! bodies are `multipart/form-data`, which the generator does not produce.

use bytes::Bytes;
use progenitor_client::{Error, ResponseValue, encode_path};
use reqwest::multipart::{Form, Part};

use crate::{Client, types};

/// Which of the two logos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoType {
    /// For dark backgrounds.
    Dark,
    /// For light backgrounds.
    Light,
}

impl LogoType {
    /// Its name in the API's paths.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoType::Dark => "dark",
            LogoType::Light => "light",
        }
    }
}

/// A logo image to upload: its bytes, a file name and its media type.
///
/// ```
/// use kinde_management::Logo;
/// let logo = Logo::new(vec![0x89, b'P', b'N', b'G'], "logo.png", "image/png");
/// assert_eq!(logo.file_name(), "logo.png");
/// ```
#[derive(Clone)]
pub struct Logo {
    bytes: Bytes,
    file_name: String,
    media_type: String,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("bytes", &self.bytes.len())
            .field("file_name", &self.file_name)
            .field("media_type", &self.media_type)
            .finish()
    }
}

impl Logo {
    /// A logo of `bytes`, named `file_name`, of `media_type` (`image/png`, `image/svg+xml`…).
    pub fn new(
        bytes: impl Into<Bytes>,
        file_name: impl Into<String>,
        media_type: impl Into<String>,
    ) -> Self {
        Logo {
            bytes: bytes.into(),
            file_name: file_name.into(),
            media_type: media_type.into(),
        }
    }

    /// The file name sent with it.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    fn form(&self) -> Result<Form, Error<types::ErrorResponse>> {
        let part = Part::stream(self.bytes.clone())
            .file_name(self.file_name.clone())
            .mime_str(&self.media_type)
            .map_err(|_| {
                Error::InvalidRequest(format!("not a media type: {:?}", self.media_type))
            })?;
        Ok(Form::new().part("logo", part))
    }
}

impl Client {
    /// Upload the business's `kind` logo (`PUT /api/v1/environment/logos/{type}`,
    /// `AddLogo`). An upload is not retried on 401 or 429 (its body is a stream).
    pub async fn add_logo(
        &self,
        kind: LogoType,
        logo: &Logo,
    ) -> Result<ResponseValue<types::SuccessResponse>, Error<types::ErrorResponse>> {
        let url = self.url(&format!(
            "/api/v1/environment/logos/{}",
            encode_path(kind.as_str())
        ));
        let request = self.client.put(url).multipart(logo.form()?).build()?;
        self.send_built(request, "add_logo").await
    }

    /// Upload organisation `org_code`'s `kind` logo
    /// (`POST /api/v1/organizations/{org_code}/logos/{type}`, `AddOrganizationLogo`).
    pub async fn add_organization_logo(
        &self,
        org_code: &str,
        kind: LogoType,
        logo: &Logo,
    ) -> Result<ResponseValue<types::SuccessResponse>, Error<types::ErrorResponse>> {
        let url = self.url(&format!(
            "/api/v1/organizations/{}/logos/{}",
            encode_path(org_code),
            encode_path(kind.as_str())
        ));
        let request = self.client.post(url).multipart(logo.form()?).build()?;
        self.send_built(request, "add_organization_logo").await
    }
}
