//! Fake data for mock responses: one-call helpers over the
//! [`fake`](https://docs.rs/fake) crate, which is re-exported whole for
//! everything else ([`Fake`], [`Faker`], [`faker`], locales).
//!
//! ```
//! use fake_servicer::fake;
//!
//! let name = fake::name();
//! assert!(!name.is_empty());
//! assert!(fake::email().contains('@'));
//! assert_eq!(fake::uuid().len(), 36);
//!
//! // The full crate: any type that implements `Dummy`, any faker.
//! use fake_servicer::fake::{Fake, Faker, faker::lorem::en::Words};
//! let n: u8 = Faker.fake();
//! let words: Vec<String> = Words(2..4).fake();
//! assert!(words.len() >= 2);
//! # let _ = n;
//! ```

use ::fake::faker::{address::en as address, company::en as company, internet::en as internet};
use ::fake::faker::{lorem::en as lorem, name::en as names, phone_number::en as phone};
pub use ::fake::{Dummy, Fake, Faker, faker};

/// A full name ("Ann Smith").
pub fn name() -> String {
    names::Name().fake()
}

/// A first name.
pub fn first_name() -> String {
    names::FirstName().fake()
}

/// A last name.
pub fn last_name() -> String {
    names::LastName().fake()
}

/// An email address at a safe example domain.
pub fn email() -> String {
    internet::SafeEmail().fake()
}

/// A user name.
pub fn username() -> String {
    internet::Username().fake()
}

/// A phone number.
pub fn phone_number() -> String {
    phone::PhoneNumber().fake()
}

/// A company name.
pub fn company() -> String {
    company::CompanyName().fake()
}

/// A city name.
pub fn city() -> String {
    address::CityName().fake()
}

/// A country name.
pub fn country() -> String {
    address::CountryName().fake()
}

/// A street name.
pub fn street() -> String {
    address::StreetName().fake()
}

/// A zip code.
pub fn zip_code() -> String {
    address::ZipCode().fake()
}

/// One lorem-ipsum word.
pub fn word() -> String {
    lorem::Word().fake()
}

/// A lorem-ipsum sentence of 4 to 10 words.
pub fn sentence() -> String {
    lorem::Sentence(4..10).fake()
}

/// A lorem-ipsum paragraph of 3 to 6 sentences.
pub fn paragraph() -> String {
    lorem::Paragraph(3..6).fake()
}

/// A random (version 4) UUID, hyphenated lower-case.
pub fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_is_version_4() {
        let u = super::uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, super::uuid());
    }
}
