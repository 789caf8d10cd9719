//! The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1; characteristics from the
//! schema representation in §8.7.1).

use super::AttrType::{Binary, Boolean, Complex, Reference, String};
use super::Mutability::{ReadOnly, WriteOnly};
use super::Returned::Never;
use super::Uniqueness::Server;
use super::{AttributeDef, SchemaDef, USER_SCHEMA, attr};

// The sub-attributes shared by the multi-valued attributes of RFC 7643 §2.4 (value, display, type, primary).
const fn display() -> AttributeDef {
    attr(
        "display",
        String,
        "A human-readable name, primarily used for display purposes.",
    )
}
const fn primary() -> AttributeDef {
    attr(
        "primary",
        Boolean,
        "Whether this is the preferred value of the attribute; 'true' appears at most once.",
    )
}
const fn kind(canonical: &'static [&'static str]) -> AttributeDef {
    attr(
        "type",
        String,
        "A label indicating the value's function, e.g. 'work' or 'home'.",
    )
    .canon(canonical)
}

const NAME: [AttributeDef; 6] = [
    attr(
        "formatted",
        String,
        "The full name, formatted for display (e.g. 'Ms. Barbara J Jensen, III').",
    ),
    attr(
        "familyName",
        String,
        "The family name, or last name in most Western languages.",
    ),
    attr(
        "givenName",
        String,
        "The given name, or first name in most Western languages.",
    ),
    attr("middleName", String, "The middle name(s)."),
    attr("honorificPrefix", String, "The honorific prefix(es), e.g. 'Ms.'."),
    attr("honorificSuffix", String, "The honorific suffix(es), e.g. 'III'."),
];

const EMAILS: [AttributeDef; 4] = [
    attr(
        "value",
        String,
        "An email address, canonicalized by the service provider.",
    )
    .req(),
    display(),
    kind(&["work", "home", "other"]),
    primary(),
];

const PHONE_NUMBERS: [AttributeDef; 4] = [
    attr(
        "value",
        String,
        "A phone number, ideally in RFC 3966 form (e.g. 'tel:+1-201-555-0123').",
    ),
    display(),
    kind(&["work", "home", "mobile", "fax", "pager", "other"]),
    primary(),
];

const IMS: [AttributeDef; 4] = [
    attr("value", String, "An instant messaging address."),
    display(),
    kind(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    primary(),
];

const PHOTOS: [AttributeDef; 4] = [
    attr("value", Reference, "The URL of a photo of the User.").refs(&["external"]),
    display(),
    kind(&["photo", "thumbnail"]),
    primary(),
];

// RFC 7643 §4.1.2 lists `primary` for addresses although the §8.7.1 representation omits it; its own examples
// (§8.2) and real clients send it, so it is included.
const ADDRESSES: [AttributeDef; 8] = [
    attr(
        "formatted",
        String,
        "The full mailing address, formatted for display; may contain newlines.",
    ),
    attr(
        "streetAddress",
        String,
        "The full street address component; may contain newlines.",
    ),
    attr("locality", String, "The city or locality component."),
    attr("region", String, "The state or region component."),
    attr("postalCode", String, "The zip code or postal code component."),
    attr(
        "country",
        String,
        "The country name component (ISO 3166-1 alpha-2 recommended).",
    ),
    kind(&["work", "home", "other"]),
    primary(),
];

const GROUPS: [AttributeDef; 4] = [
    attr("value", String, "The id of a Group the User belongs to.").mutab(ReadOnly),
    attr("$ref", Reference, "The URI of the Group resource.")
        .refs(&["User", "Group"])
        .mutab(ReadOnly),
    display().mutab(ReadOnly),
    kind(&["direct", "indirect"]).mutab(ReadOnly),
];

const ENTITLEMENTS: [AttributeDef; 4] = [
    attr("value", String, "The value of an entitlement."),
    display(),
    kind(&[]),
    primary(),
];

const ROLES: [AttributeDef; 4] = [
    attr("value", String, "The value of a role."),
    display(),
    kind(&[]),
    primary(),
];

const X509_CERTIFICATES: [AttributeDef; 4] = [
    attr("value", Binary, "A DER-encoded X.509 certificate, base64-encoded."),
    display(),
    kind(&[]),
    primary(),
];

const ATTRIBUTES: [AttributeDef; 21] = [
    attr(
        "userName",
        String,
        "Unique identifier for the User, used to authenticate; unique across all Users.",
    )
    .req()
    .uniq(Server),
    attr("name", Complex, "The components of the User's real name.").subs(&NAME),
    attr(
        "displayName",
        String,
        "The name of the User, suitable for display to end-users.",
    ),
    attr(
        "nickName",
        String,
        "The casual way to address the User, e.g. 'Bob' for 'Robert'.",
    ),
    attr(
        "profileUrl",
        Reference,
        "A URL of a page representing the User's online profile.",
    )
    .refs(&["external"]),
    attr("title", String, "The User's title, such as 'Vice President'."),
    attr(
        "userType",
        String,
        "The relationship between the organization and the User, e.g. 'Employee'.",
    ),
    attr(
        "preferredLanguage",
        String,
        "The User's preferred written or spoken language, e.g. 'en-US'.",
    ),
    attr(
        "locale",
        String,
        "The User's default location for localization, e.g. 'en-US'.",
    ),
    attr(
        "timezone",
        String,
        "The User's time zone in IANA 'Olson' form, e.g. 'America/Los_Angeles'.",
    ),
    attr("active", Boolean, "The User's administrative status."),
    attr(
        "password",
        String,
        "The User's cleartext password; write-only, never returned.",
    )
    .mutab(WriteOnly)
    .ret(Never),
    // Required, unlike RFC 7643 §4.1.2: every account needs an email, and the schema says what
    // the server enforces.
    attr(
        "emails",
        Complex,
        "Email addresses for the User; at least one is required.",
    )
    .multi()
    .req()
    .subs(&EMAILS),
    attr("phoneNumbers", Complex, "Phone numbers for the User.")
        .multi()
        .subs(&PHONE_NUMBERS),
    attr("ims", Complex, "Instant messaging addresses for the User.")
        .multi()
        .subs(&IMS),
    attr("photos", Complex, "URLs of photos of the User.")
        .multi()
        .subs(&PHOTOS),
    attr("addresses", Complex, "Physical mailing addresses for the User.")
        .multi()
        .subs(&ADDRESSES),
    attr(
        "groups",
        Complex,
        "The Groups the User belongs to, directly or indirectly; managed via Groups.",
    )
    .multi()
    .mutab(ReadOnly)
    .subs(&GROUPS),
    attr(
        "entitlements",
        Complex,
        "Entitlements of the User (things the User has).",
    )
    .multi()
    .subs(&ENTITLEMENTS),
    attr("roles", Complex, "Roles of the User (who the User is), e.g. 'Student'.")
        .multi()
        .subs(&ROLES),
    attr("x509Certificates", Complex, "Certificates issued to the User.")
        .multi()
        .subs(&X509_CERTIFICATES),
];

pub(super) const USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &ATTRIBUTES,
};
