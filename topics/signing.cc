#include "signing.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <ctime>
#include <nlohmann/json.hpp>
#include <span>

#include "foundation/codec.h"

namespace wyvern::topics {
namespace {

template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using CertificatePtr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using DigestContextPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;

// OpenSSL reports failures on a thread-local queue. Whatever a call here leaves on it is dropped
// when the scope ends, so that it cannot surface later as the cause of someone else's failure.
class ErrorQueueScope {
 public:
  ErrorQueueScope() { ERR_set_mark(); }
  ~ErrorQueueScope() { ERR_pop_to_mark(); }
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// `what` failed, with OpenSSL's reason when it gave one.
Error openssl_failure(std::string what) {
  if (unsigned long code = ERR_peek_last_error()) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    what += " (";
    what += reason;
    what += ")";
  }
  return Error{ErrorCode::kInternalFailure, std::move(what)};
}

// A key in the store is never encrypted; without this callback OpenSSL would prompt on the
// terminal for the passphrase of one that is.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

BioPtr read_only_bio(const std::string& text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

// Calendar years, so that the certificate ends on the same date a decade on.
time_t years_after(time_t start, int years) {
  tm fields{};
  gmtime_r(&start, &fields);
  fields.tm_year += years;
  return timegm(&fields);
}

// The fields each envelope type signs, in byte order of names.
constexpr std::array<const char*, 6> kNotificationFields = {"Message",   "MessageId", "Subject",
                                                            "Timestamp", "TopicArn",  "Type"};
constexpr std::array<const char*, 7> kConfirmationFields = {
    "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};

}  // namespace

struct Signer::Keys {
  std::string key_pem;
  std::string certificate_pem;
  KeyPtr key;  // only read once built, which is what makes concurrent signing safe
};

Result<Signer> Signer::generate() {
  ErrorQueueScope errors;
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  if (!key) return openssl_failure("generating the SNS signing key failed");

  CertificatePtr certificate(X509_new());
  BignumPtr serial(BN_new());
  if (!certificate || !serial) return openssl_failure("allocating the SNS certificate failed");
  X509* cert = certificate.get();
  time_t now = time(nullptr);
  // 159 random bits with the top one set: a positive serial of exactly 20 octets, the most
  // RFC 5280 allows.
  bool built =
      X509_set_version(cert, X509_VERSION_3) == 1 &&
      BN_rand(serial.get(), 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr &&
      ASN1_TIME_set(X509_getm_notBefore(cert), now) != nullptr &&
      ASN1_TIME_set(X509_getm_notAfter(cert), years_after(now, 10)) != nullptr &&
      X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("sns.amazonaws.com"), -1,
                                 -1, 0) == 1 &&
      X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1 &&
      X509_set_pubkey(cert, key.get()) == 1 && X509_sign(cert, key.get(), EVP_sha256()) > 0;
  if (!built) return openssl_failure("building the SNS signing certificate failed");

  BioPtr key_out(BIO_new(BIO_s_mem()));
  BioPtr certificate_out(BIO_new(BIO_s_mem()));
  if (!key_out || !certificate_out ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(certificate_out.get(), cert) != 1) {
    return openssl_failure("writing the SNS signing key as PEM failed");
  }
  return Signer(std::make_shared<const Keys>(
      Keys{bio_text(key_out.get()), bio_text(certificate_out.get()), std::move(key)}));
}

Result<Signer> Signer::load(const std::string& key_pem, const std::string& certificate_pem) {
  ErrorQueueScope errors;
  BioPtr key_in = read_only_bio(key_pem);
  BioPtr certificate_in = read_only_bio(certificate_pem);
  if (!key_in || !certificate_in) return openssl_failure("reading the SNS signing PEMs failed");

  KeyPtr key(PEM_read_bio_PrivateKey(key_in.get(), nullptr, no_passphrase, nullptr));
  if (!key) return openssl_failure("the SNS signing key is not a PEM private key");
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    return Error{ErrorCode::kInternalFailure, "the SNS signing key is not an RSA key"};
  }
  CertificatePtr certificate(
      PEM_read_bio_X509(certificate_in.get(), nullptr, no_passphrase, nullptr));
  if (!certificate) return openssl_failure("the SNS signing certificate is not a PEM certificate");
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    return openssl_failure("the SNS signing certificate is not for the SNS signing key");
  }
  return Signer(std::make_shared<const Keys>(Keys{key_pem, certificate_pem, std::move(key)}));
}

const std::string& Signer::key_pem() const {
  return keys_->key_pem;
}
const std::string& Signer::certificate_pem() const {
  return keys_->certificate_pem;
}

std::string Signer::sign(std::string_view text, std::string_view signature_version) const {
  ErrorQueueScope errors;
  const EVP_MD* digest = signature_version == "2" ? EVP_sha256() : EVP_sha1();
  DigestContextPtr context(EVP_MD_CTX_new());
  size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  // An RSA key signs with PKCS#1 v1.5 padding unless told otherwise, as SHA1withRSA and
  // SHA256withRSA mean.
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, keys_->key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, data, text.size()) != 1) {
    return {};
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data,
                     text.size()) != 1) {
    return {};
  }
  signature.resize(size);
  return base64_encode(signature);
}

std::string string_to_sign(const nlohmann::json& envelope) {
  bool confirmation = false;
  if (auto type = envelope.find("Type"); type != envelope.end() && type->is_string()) {
    const auto& name = type->get_ref<const std::string&>();
    confirmation = name == "SubscriptionConfirmation" || name == "UnsubscribeConfirmation";
  }
  std::span<const char* const> fields =
      confirmation ? std::span<const char* const>(kConfirmationFields) : kNotificationFields;
  std::string text;
  for (const char* name : fields) {
    auto value = envelope.find(name);
    if (value == envelope.end() || !value->is_string()) continue;
    text += name;
    text += '\n';
    text += value->get_ref<const std::string&>();
    text += '\n';
  }
  return text;
}

}  // namespace wyvern::topics
