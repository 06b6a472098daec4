#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "foundation/codec.h"
#include "topics/signing.h"

using namespace wyvern;
using namespace wyvern::topics;
using json = nlohmann::json;

namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct DigestContextFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using CertificatePtr = std::unique_ptr<X509, X509Free>;

CertificatePtr parse_certificate(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return CertificatePtr(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
}

// Whether `signature_base64` is the certificate's key's signature of `text`, checked the way a
// subscriber checks it: with the public key from the certificate alone.
bool verifies(const std::string& certificate_pem, const std::string& text,
              const std::string& signature_base64, const EVP_MD* digest) {
  CertificatePtr certificate = parse_certificate(certificate_pem);
  auto signature = base64_decode(signature_base64);
  if (!certificate || !signature) return false;
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr,
                              X509_get0_pubkey(certificate.get())) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                          signature->size(), reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
}

const Signer& shared_signer() {
  static const Signer signer = Signer::generate().value();
  return signer;
}

const json kNotification = {
    {"Type", "Notification"},
    {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
    {"TopicArn", "arn:aws:sns:us-west-2:123456789012:MyTopic"},
    {"Subject", "My First Message"},
    {"Message", "Hello world!\nSecond line"},
    {"Timestamp", "2012-05-02T00:54:06.655Z"},
    {"SignatureVersion", "1"},
    {"Signature", "ignored"},
    {"SigningCertURL", "http://localhost/SimpleNotificationService.pem"},
    {"UnsubscribeURL", "http://localhost/?Action=Unsubscribe"},
};

}  // namespace

TEST_CASE("a notification signs its fields in byte order of names, Subject included",
          "[sns-signing]") {
  CHECK(string_to_sign(kNotification) ==
        "Message\nHello world!\nSecond line\n"
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Subject\nMy First Message\n"
        "Timestamp\n2012-05-02T00:54:06.655Z\n"
        "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
        "Type\nNotification\n");
}

TEST_CASE("a notification without a Subject leaves Subject out of the string to sign",
          "[sns-signing]") {
  json envelope = kNotification;
  envelope.erase("Subject");
  CHECK(string_to_sign(envelope) ==
        "Message\nHello world!\nSecond line\n"
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Timestamp\n2012-05-02T00:54:06.655Z\n"
        "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
        "Type\nNotification\n");
}

TEST_CASE("a subscription confirmation signs SubscribeURL and Token and not Subject",
          "[sns-signing]") {
  json envelope = {
      {"Type", "SubscriptionConfirmation"},
      {"MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"},
      {"Token", "2336412f37"},
      {"TopicArn", "arn:aws:sns:us-west-2:123456789012:MyTopic"},
      {"Subject", "not signed for a confirmation"},
      {"Message", "You have chosen to subscribe to the topic."},
      {"SubscribeURL", "http://localhost/?Action=ConfirmSubscription&Token=2336412f37"},
      {"Timestamp", "2012-04-26T20:45:04.751Z"},
  };
  std::string expected =
      "Message\nYou have chosen to subscribe to the topic.\n"
      "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
      "SubscribeURL\nhttp://localhost/?Action=ConfirmSubscription&Token=2336412f37\n"
      "Timestamp\n2012-04-26T20:45:04.751Z\n"
      "Token\n2336412f37\n"
      "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
      "Type\nSubscriptionConfirmation\n";
  CHECK(string_to_sign(envelope) == expected);

  envelope["Type"] = "UnsubscribeConfirmation";
  CHECK(string_to_sign(envelope) ==
        expected.substr(0, expected.size() - std::string("SubscriptionConfirmation\n").size()) +
            "UnsubscribeConfirmation\n");
}

TEST_CASE("string_to_sign of something that is not an object is empty", "[sns-signing]") {
  CHECK(string_to_sign(json::array({"Message", "x"})).empty());
  CHECK(string_to_sign(json("Message")).empty());
}

TEST_CASE("version 1 signs SHA1withRSA and version 2 SHA256withRSA, verifiable by the certificate",
          "[sns-signing]") {
  const Signer& signer = shared_signer();
  std::string text = string_to_sign(kNotification);

  std::string v1 = signer.sign(text, "1");
  REQUIRE(!v1.empty());
  CHECK(v1.find('\n') == std::string::npos);
  CHECK(base64_decode(v1)->size() == 256);  // RSA-2048
  CHECK(verifies(signer.certificate_pem(), text, v1, EVP_sha1()));
  CHECK_FALSE(verifies(signer.certificate_pem(), text, v1, EVP_sha256()));

  std::string v2 = signer.sign(text, "2");
  REQUIRE(!v2.empty());
  CHECK(verifies(signer.certificate_pem(), text, v2, EVP_sha256()));
  CHECK_FALSE(verifies(signer.certificate_pem(), text, v2, EVP_sha1()));
}

TEST_CASE("a signature does not verify for a changed text", "[sns-signing]") {
  const Signer& signer = shared_signer();
  std::string text = string_to_sign(kNotification);
  json changed = kNotification;
  changed["Message"] = "Hello world!\nSecond line!";
  for (const char* version : {"1", "2"}) {
    const EVP_MD* digest = std::string(version) == "1" ? EVP_sha1() : EVP_sha256();
    std::string signature = signer.sign(text, version);
    CHECK(verifies(signer.certificate_pem(), text, signature, digest));
    CHECK_FALSE(verifies(signer.certificate_pem(), string_to_sign(changed), signature, digest));
    CHECK_FALSE(verifies(signer.certificate_pem(), text + " ", signature, digest));
  }
}

TEST_CASE("the certificate is self-signed for sns.amazonaws.com and valid for ten years",
          "[sns-signing]") {
  const Signer& signer = shared_signer();
  CHECK(signer.key_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(signer.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
  CertificatePtr certificate = parse_certificate(signer.certificate_pem());
  REQUIRE(certificate);

  char common_name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName, common_name,
                            sizeof common_name);
  CHECK(std::string(common_name) == "sns.amazonaws.com");
  CHECK(X509_NAME_cmp(X509_get_subject_name(certificate.get()),
                      X509_get_issuer_name(certificate.get())) == 0);
  CHECK(X509_verify(certificate.get(), X509_get0_pubkey(certificate.get())) == 1);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(certificate.get())) == 2048);

  int days = 0, seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate.get()),
                         X509_get0_notAfter(certificate.get())) == 1);
  CHECK(days >= 3652);  // ten calendar years hold two or three leap days
  CHECK(days <= 3653);
  time_t now = time(nullptr);
  CHECK(X509_cmp_time(X509_get0_notBefore(certificate.get()), &now) <= 0);
  CHECK(X509_cmp_time(X509_get0_notAfter(certificate.get()), &now) > 0);
}

TEST_CASE("two generated signers have different keys and serials", "[sns-signing]") {
  Result<Signer> other = Signer::generate();
  REQUIRE(other.ok());
  const Signer& signer = shared_signer();
  CHECK(other->key_pem() != signer.key_pem());
  CertificatePtr a = parse_certificate(signer.certificate_pem());
  CertificatePtr b = parse_certificate(other->certificate_pem());
  REQUIRE(a);
  REQUIRE(b);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())) != 0);
}

TEST_CASE("a signer loaded from generated PEMs keeps them and signs verifiably", "[sns-signing]") {
  const Signer& generated = shared_signer();
  Result<Signer> loaded = Signer::load(generated.key_pem(), generated.certificate_pem());
  REQUIRE(loaded.ok());
  CHECK(loaded->key_pem() == generated.key_pem());
  CHECK(loaded->certificate_pem() == generated.certificate_pem());
  std::string text = string_to_sign(kNotification);
  CHECK(verifies(generated.certificate_pem(), text, loaded->sign(text, "1"), EVP_sha1()));
  CHECK(verifies(generated.certificate_pem(), text, loaded->sign(text, "2"), EVP_sha256()));
  // PKCS#1 v1.5 is deterministic: the same key signs the same text identically.
  CHECK(loaded->sign(text, "2") == generated.sign(text, "2"));
}

TEST_CASE("load errs for PEMs that do not parse", "[sns-signing]") {
  const Signer& signer = shared_signer();
  for (auto [key, certificate] : std::vector<std::pair<std::string, std::string>>{
           {"garbage", "garbage"},
           {"", ""},
           {signer.key_pem(), "garbage"},
           {"garbage", signer.certificate_pem()},
           {signer.certificate_pem(), signer.key_pem()},  // swapped
           {signer.key_pem().substr(0, 200), signer.certificate_pem()},
       }) {
    Result<Signer> loaded = Signer::load(key, certificate);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == ErrorCode::kInternalFailure);
    CHECK(!loaded.error().message.empty());
  }
}

TEST_CASE("load errs for a certificate of another key", "[sns-signing]") {
  Result<Signer> other = Signer::generate();
  REQUIRE(other.ok());
  const Signer& signer = shared_signer();
  Result<Signer> mismatched = Signer::load(signer.key_pem(), other->certificate_pem());
  REQUIRE_FALSE(mismatched.ok());
  CHECK(mismatched.error().code == ErrorCode::kInternalFailure);
  CHECK(mismatched.error().message.find("not for") != std::string::npos);
}

TEST_CASE("copies of a signer sign from several threads at once", "[sns-signing]") {
  const Signer& signer = shared_signer();
  std::string text = string_to_sign(kNotification);
  const std::string expected[] = {signer.sign(text, "1"), signer.sign(text, "2")};
  std::vector<int> mismatches(4);
  std::vector<std::thread> threads;
  for (int& count : mismatches) {
    threads.emplace_back([copy = signer, &text, &expected, &count] {
      for (int i = 0; i < 20; ++i) {
        if (copy.sign(text, i % 2 ? "2" : "1") != expected[i % 2]) ++count;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : mismatches) CHECK(count == 0);
}

TEST_CASE("the openssl command line verifies a version 2 signature", "[sns-signing]") {
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    WARN("no openssl command; skipped");
    return;
  }
  const Signer& signer = shared_signer();
  std::string text = string_to_sign(kNotification);
  std::string signature = base64_decode(signer.sign(text, "2")).value();

  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("wyvern-sns-signing-" + random_hex(8));
  fs::create_directories(dir);
  auto write = [&](const char* name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return (dir / name).string();
  };
  std::string certificate = write("certificate.pem", signer.certificate_pem());
  std::string message = write("message.txt", text);
  std::string signature_file = write("signature.bin", signature);
  std::string public_key = (dir / "public.pem").string();

  std::string extract =
      "openssl x509 -pubkey -noout -in '" + certificate + "' > '" + public_key + "'";
  std::string verify = "openssl dgst -sha256 -verify '" + public_key + "' -signature '" +
                       signature_file + "' '" + message + "' >/dev/null 2>&1";
  CHECK(std::system(extract.c_str()) == 0);
  CHECK(std::system(verify.c_str()) == 0);
  write("message.txt", text + "tampered");
  CHECK(std::system(verify.c_str()) != 0);
  fs::remove_all(dir);
}
