// SNS message signatures: the key that signs every HTTP/S and SQS notification envelope, the
// certificate served at SigningCertURL, and the string SNS signs for each envelope type.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "foundation/errors.h"

namespace wyvern::topics {

// An RSA-2048 key and a self-signed X.509 certificate for it. Thread-safe: the key material is
// immutable and shared, so copies are cheap and any number of threads may sign at once.
class Signer {
 public:
  // A fresh key and a certificate for it: subject and issuer CN "sns.amazonaws.com", a random
  // serial, valid from now for 10 years. Errs (kInternalFailure) only if OpenSSL fails.
  static Result<Signer> generate();

  // A signer from PEMs that generate() made, e.g. read back from the store after a restart: an
  // unencrypted RSA private key (PKCS#8 or PKCS#1) and its certificate. Errs (kInternalFailure)
  // if either does not parse, the key is not RSA, or the certificate is not for this key.
  static Result<Signer> load(const std::string& key_pem, const std::string& certificate_pem);

  // The PEMs this signer was made from, to persist and to serve at SigningCertURL.
  const std::string& key_pem() const;
  const std::string& certificate_pem() const;

  // The base64 (one line, no newlines) RSA PKCS#1 v1.5 signature of `text`: SHA1withRSA for
  // SignatureVersion "1", SHA256withRSA for "2".
  // REQUIRES: signature_version is "1" or "2"; anything else signs as "1", the SNS default.
  // Returns "" only if OpenSSL fails (out of memory).
  std::string sign(std::string_view text, std::string_view signature_version) const;

 private:
  struct Keys;
  explicit Signer(std::shared_ptr<const Keys> keys) : keys_(std::move(keys)) {}

  std::shared_ptr<const Keys> keys_;  // never null
};

// The string SNS signs for `envelope`, a JSON object with the envelope's fields: "Name\nValue\n"
// for each field, in byte order of names. "Type" picks the fields: SubscriptionConfirmation and
// UnsubscribeConfirmation sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and
// Type; any other Type signs as a Notification: Message, MessageId, Subject, Timestamp, TopicArn
// and Type. Fields absent from the envelope (Subject, usually), or not strings, are skipped.
std::string string_to_sign(const nlohmann::json& envelope);

}  // namespace wyvern::topics
