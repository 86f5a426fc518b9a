// Encrypted archives: the key file, the segmented AES-256-GCM framing (round trip; every
// changed, cut, added, moved or reordered byte refused), a reader written from
// docs/archive-format.md section 9 alone, and whole archives with a missing or wrong key.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "archive/archive_reader.h"
#include "archive/archive_writer.h"
#include "archive/encryption.h"
#include "util/fault_env.h"
#include "archive_test_support.h"
#include "omsbackup/archive.h"
#include "omsbackup/error.h"
#include "util/hex.h"

using namespace omsbackup;
using omsbackup::test::make_archive;
using omsbackup::test::read_whole_file;
using omsbackup::test::TempDir;
using omsbackup::test::write_whole_file;

namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kOtherHexKey = "f0e0d0c0b0a090807060504030201000f0e0d0c0b0a0908070605040302010ff";

SecretKey key_of(const std::string& hex) { return parse_key(hex, "test key"); }

// Serves a string in reads of `step` bytes at most.
class StringSource final : public SequentialFile {
 public:
  StringSource(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  std::size_t step_;
  std::size_t pos_ = 0;
};

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Encrypts `plain`, appended in pieces of `piece` bytes.
std::string seal(ArchiveCipher& c, const std::string& path, const std::string& plain,
                 std::uint32_t segment, std::size_t piece = 1 << 20) {
  std::string out;
  StringWritableFile sink(out);
  EncryptingWriter w(sink, c, path, segment);
  for (std::size_t at = 0; at < plain.size(); at += piece) w.append(std::string_view(plain).substr(at, piece));
  w.finish();
  return out;
}

// Decrypts with reads of `buf` bytes from a source that serves `step` bytes at a time.
std::string open_all(const ArchiveCipher& c, const std::string& path, const std::string& sealed,
                     std::size_t buf = 1 << 17, std::size_t step = 1 << 20) {
  StringSource src(sealed, step);
  DecryptingReader r(src, c, path);
  std::string out;
  std::vector<char> b(buf);
  while (std::size_t n = r.read(b.data(), b.size())) out.append(b.data(), n);
  CHECK(r.read(b.data(), b.size()) == 0);  // stays at the end
  return out;
}

// The error a decryption ends with ("" if it succeeded).
std::string refusal(const ArchiveCipher& c, const std::string& path, const std::string& sealed) {
  try {
    open_all(c, path, sealed);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(e.object() == path);
    return e.what();
  }
  return "";
}

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string key_file(const TempDir& t, const std::string& content, unsigned mode = 0600) {
  std::string p = t / "key";
  write_whole_file(p, content);
  REQUIRE(::chmod(p.c_str(), mode) == 0);
  return p;
}

std::string key_refusal(const std::string& path) {
  try {
    read_key_file(Env::posix(), path);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(e.object() == path);
    return e.what();
  }
  return "";
}

// A reader written from docs/archive-format.md section 9 only, with raw OpenSSL calls:
// proves the document describes what the code writes.
std::string decrypt_by_the_spec(const std::string& key_hex, const std::string& salt_hex,
                                const std::string& path, const std::string& file) {
  auto raw_key = *hex_decode(key_hex);
  auto salt = *hex_decode(salt_hex);
  unsigned char data_key[32];
  {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
    std::string info = "omsbackup archive data key";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_octet_string("key", raw_key.data(), raw_key.size()),
        OSSL_PARAM_construct_octet_string("salt", salt.data(), salt.size()),
        OSSL_PARAM_construct_octet_string("info", info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    REQUIRE(EVP_KDF_derive(kctx, data_key, 32, params) == 1);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
  }
  REQUIRE(file.size() >= 20);
  REQUIRE(file.substr(0, 8) == "OMSBENC1");
  auto u8 = [&](std::size_t i) { return static_cast<unsigned char>(file[i]); };
  std::size_t seg = (std::size_t{u8(8)} << 24) | (u8(9) << 16) | (u8(10) << 8) | u8(11);
  std::string header = file.substr(0, 20), body = file.substr(20), plain;
  std::size_t nseg = body.empty() ? 1 : (body.size() + seg + 16 - 1) / (seg + 16);
  for (std::size_t i = 0; i < nseg; ++i) {
    bool final = i + 1 == nseg;
    std::string s = body.substr(i * (seg + 16), seg + 16);
    REQUIRE(s.size() >= 16);
    std::string be32 = {static_cast<char>(i >> 24), static_cast<char>(i >> 16),
                        static_cast<char>(i >> 8), static_cast<char>(i)};
    std::string nonce = header.substr(12, 8) + be32;
    std::string aad = header + be32 + std::string(1, final ? '\1' : '\0') + path;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, data_key,
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1);
    int len = 0;
    REQUIRE(EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1);
    std::string out(s.size() - 16, '\0');
    REQUIRE(EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                              reinterpret_cast<const unsigned char*>(s.data()),
                              static_cast<int>(out.size())) == 1);
    REQUIRE(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, s.data() + out.size()) == 1);
    int ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len);
    EVP_CIPHER_CTX_free(ctx);
    REQUIRE(ok == 1);
    plain += out;
  }
  return plain;
}

}  // namespace

TEST_CASE("key text: 64 hex digits or 32 raw bytes, nothing else", "[encrypt][key]") {
  SecretKey a = parse_key(kHexKey, "k");
  CHECK(a.data()[0] == 0x00);
  CHECK(a.data()[31] == 0x1f);
  std::string upper = kHexKey;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(key_id(parse_key(upper + "\n", "k")) == key_id(a));
  CHECK(key_id(parse_key(kHexKey + "\r\n", "k")) == key_id(a));
  std::string raw = *hex_decode(kHexKey);
  CHECK(key_id(parse_key(raw, "k")) == key_id(a));
  CHECK(key_id(a).size() == 16);
  CHECK(key_id(a) != key_id(key_of(kOtherHexKey)));

  auto refused = [](const std::string& text) {
    try {
      parse_key(text, "the-source");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(e.object() == "the-source");
      CHECK(has(e.what(), "openssl rand -hex 32"));
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(has(refused(""), "holds 0 bytes"));
  CHECK(has(refused(kHexKey.substr(0, 63)), "holds 63 bytes"));
  CHECK(has(refused(kHexKey + "\n\n"), "holds 66 bytes"));
  CHECK(has(refused(kHexKey + "0"), "holds 65 bytes"));
  CHECK(has(refused(raw + "\n"), "holds 33 bytes"));
  CHECK(has(refused(kHexKey.substr(0, 32)), "128-bit"));
  CHECK(has(refused(std::string(63, 'a') + "g"), "not all hex digits"));
  CHECK(has(refused(std::string(64, '0')), "all zeros"));
  CHECK(has(refused(std::string(32, '\0')), "all zeros"));
}

TEST_CASE("key files must be private regular files", "[encrypt][key]") {
  TempDir t;
  CHECK(key_id(read_key_file(Env::posix(), key_file(t, kHexKey + "\n", 0600))) == key_id(key_of(kHexKey)));
  CHECK(key_id(read_key_file(Env::posix(), key_file(t, kHexKey, 0400))) == key_id(key_of(kHexKey)));
  for (unsigned mode : {0644u, 0640u, 0604u, 0620u, 0602u, 0610u}) {
    INFO(mode);
    std::string why = key_refusal(key_file(t, kHexKey, mode));
    CHECK(has(why, "group or others"));
    CHECK(has(why, "chmod 600"));
  }
  CHECK(has(key_refusal(key_file(t, std::string(100, 'a'))), "holds 100 bytes"));
  CHECK(has(key_refusal(key_file(t, std::string(4000, 'a'))), "bytes, not a key"));
  CHECK(has(key_refusal(t / "missing"), "cannot open"));
  std::filesystem::create_directory(t / "dir");
  ::chmod((t / "dir").c_str(), 0700);
  CHECK(has(key_refusal(t / "dir"), "not a regular file"));
  // A symbolic link to a private key file is followed (e.g. mounted secrets).
  std::string real = key_file(t, kHexKey);
  std::filesystem::create_symlink(real, t / "link");
  CHECK(key_id(read_key_file(Env::posix(), t / "link")) == key_id(key_of(kHexKey)));

  // Through the file seam: an open or a read that fails is a refusal naming the key file.
  FaultEnv faults(Env::posix());
  auto refusal_when_failing = [&](FaultEnv::Op op, int err) {
    faults.fail_nth(op, 1, err);
    try {
      read_key_file(faults, real);
    } catch (const Error& e) {
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(e.object() == real);
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(has(refusal_when_failing(FaultEnv::Op::open, EACCES), "cannot open the key file: Permission denied"));
  std::string read_refusal = refusal_when_failing(FaultEnv::Op::read, EIO);
  CHECK(has(read_refusal, "cannot read the key file"));
  CHECK(has(read_refusal, "Input/output error"));
  CHECK(key_id(read_key_file(faults, real)) == key_id(key_of(kHexKey)));

  EncryptionOptions both;
  both.key_file = real;
  both.key = kHexKey;
  CHECK_THROWS_WITH(load_key(Env::posix(), both), Catch::Contains("not both"));
  CHECK_FALSE(load_key(Env::posix(), EncryptionOptions{}).has_value());
  EncryptionOptions by_value;
  by_value.key = kHexKey;
  CHECK(key_id(*load_key(Env::posix(), by_value)) == key_id(key_of(kHexKey)));
}

TEST_CASE("segmented AES-256-GCM round-trips at every boundary", "[encrypt][framing]") {
  auto cipher = ArchiveCipher::create(key_of(kHexKey));
  for (std::uint32_t seg : {1u, 16u, 100u, 4096u}) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{seg} - 1, std::size_t{seg},
                             std::size_t{seg} + 1, 3 * std::size_t{seg}, 5 * std::size_t{seg} + 7}) {
      if (size > 50000) continue;
      std::string plain = pattern(size, static_cast<unsigned>(size * 31 + seg));
      for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
        if (piece == 1 && size > 2000) continue;
        std::string sealed = seal(*cipher, "data/x", plain, seg, piece);
        // Header, then one sealed segment per started segment (at least one).
        std::size_t segments = std::max<std::size_t>(1, (size + seg - 1) / seg);
        CHECK(sealed.size() == kEncryptedHeaderBytes + size + 16 * segments);
        for (std::size_t buf : {std::size_t{1}, std::max<std::size_t>(1, seg - 1), std::size_t{seg},
                                 std::size_t{1} << 17}) {
          for (std::size_t step : {std::size_t{1} << 20, std::size_t{3}}) {
            INFO("segment " << seg << " size " << size << " piece " << piece << " buf " << buf
                            << " step " << step);
            if ((buf == 1 || step == 3) && size > 5000) continue;
            CHECK(open_all(*cipher, "data/x", sealed, buf, step) == plain);
          }
        }
      }
    }
  }
  // Whole small files (the manifest).
  std::string text = pattern(200000, 5);
  CHECK(decrypt_string(*cipher, "m", encrypt_to_string(*cipher, "m", text)) == text);
}

TEST_CASE("no plaintext, and no nonce prefix twice, in an archive's files", "[encrypt][framing]") {
  auto cipher = ArchiveCipher::create(key_of(kHexKey));
  const std::string secret = "jdbc:mysql://meta:2883?password=S3cr3t-Passw0rd";
  std::string plain;
  for (int i = 0; i < 1000; ++i) plain += secret;
  std::set<std::string> prefixes, bodies;
  for (int i = 0; i < 2000; ++i) {
    std::string sealed = seal(*cipher, "data/same", i < 5 ? plain : std::string("x"), 4096);
    CHECK(sealed.substr(0, 8) == "OMSBENC1");
    prefixes.insert(sealed.substr(12, 8));
    if (i < 5) {
      CHECK_FALSE(has(sealed, "S3cr3t"));
      bodies.insert(sealed);
    }
  }
  CHECK(prefixes.size() == 2000);
  CHECK(bodies.size() == 5);  // the same plaintext never gives the same file
  // Two archives with the same key: different salts, so different data keys.
  auto other = ArchiveCipher::create(key_of(kHexKey));
  CHECK(other->describe()["salt"] != cipher->describe()["salt"]);
  CHECK(other->key_id() == cipher->key_id());
}

TEST_CASE("any changed, cut, added, moved or reordered byte is refused", "[encrypt][framing]") {
  auto cipher = ArchiveCipher::create(key_of(kHexKey));
  const std::uint32_t seg = 32;
  const std::string plain = pattern(3 * seg + 11, 9);  // three whole segments and a part
  const std::string sealed = seal(*cipher, "data/0001/a.enc", plain, seg);
  REQUIRE(open_all(*cipher, "data/0001/a.enc", sealed) == plain);

  SECTION("every byte flipped, one at a time, header included") {
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      for (unsigned char bit : {0x01, 0x80}) {
        std::string bad = sealed;
        bad[i] = static_cast<char>(bad[i] ^ bit);
        INFO("byte " << i << " bit " << int(bit));
        CHECK_FALSE(refusal(*cipher, "data/0001/a.enc", bad).empty());
      }
    }
  }
  SECTION("cut at every length") {
    for (std::size_t n = 0; n < sealed.size(); ++n) {
      INFO("kept " << n << " of " << sealed.size());
      CHECK_FALSE(refusal(*cipher, "data/0001/a.enc", sealed.substr(0, n)).empty());
    }
    // Cut exactly after a whole segment: that segment was not sealed as the last one.
    std::string why = refusal(*cipher, "data/0001/a.enc", sealed.substr(0, kEncryptedHeaderBytes + 2 * (seg + 16)));
    CHECK(has(why, "segment 1 fails authentication"));
  }
  SECTION("bytes added at the end") {
    CHECK(has(refusal(*cipher, "data/0001/a.enc", sealed + "x"), "fails authentication"));
    CHECK_FALSE(refusal(*cipher, "data/0001/a.enc", sealed + sealed.substr(20, seg + 16)).empty());
  }
  SECTION("two segments swapped") {
    std::string bad = sealed;
    std::size_t a = kEncryptedHeaderBytes, b = a + seg + 16;
    std::swap_ranges(bad.begin() + a, bad.begin() + b, bad.begin() + b);
    CHECK(has(refusal(*cipher, "data/0001/a.enc", bad), "segment 0 fails authentication"));
  }
  SECTION("a file read under another path (two files swapped)") {
    std::string why = refusal(*cipher, "data/0001/b.enc", sealed);
    CHECK(has(why, "data/0001/b.enc"));
    CHECK(has(why, "comes from another place or archive"));
  }
  SECTION("a file of another archive with the same key") {
    auto other = ArchiveCipher::create(key_of(kHexKey));
    CHECK_FALSE(refusal(*other, "data/0001/a.enc", sealed).empty());
  }
  SECTION("another file's header (nonce prefix) spliced in") {
    std::string other = seal(*cipher, "data/0001/a.enc", plain, seg);
    std::string bad = other.substr(0, kEncryptedHeaderBytes) + sealed.substr(kEncryptedHeaderBytes);
    CHECK_FALSE(refusal(*cipher, "data/0001/a.enc", bad).empty());
  }
  SECTION("not an encrypted file at all") {
    CHECK(has(refusal(*cipher, "p", "(\xb5/\xfd plain zstd"), "header of an encrypted"));
    CHECK(has(refusal(*cipher, "p", ""), "header of an encrypted"));
    CHECK(has(refusal(*cipher, "p", sealed.substr(0, kEncryptedHeaderBytes)), "without a segment"));
  }
}

TEST_CASE("the documented format decrypts what the writer writes", "[encrypt][framing]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  make_archive(Env::posix(), dir, ArchiveCipher::create(key_of(kHexKey)));
  auto done = nlohmann::json::parse(read_whole_file(dir + "/DONE"));
  CHECK(done["format_version"] == 3);
  CHECK(done["manifest"] == "manifest.json.enc");
  CHECK(done["encryption"]["cipher"] == "AES-256-GCM");
  CHECK(done["encryption"]["kdf"] == "HKDF-SHA256");
  CHECK(done["encryption"]["key_id"] == key_id(key_of(kHexKey)));
  std::string salt = done["encryption"]["salt"];
  std::string manifest = decrypt_by_the_spec(kHexKey, salt, "manifest.json.enc",
                                             read_whole_file(dir + "/manifest.json.enc"));
  auto m = nlohmann::json::parse(manifest);
  CHECK(m["format_version"] == 3);
  REQUIRE(m["files"].size() == 3);
  for (const auto& f : m["files"]) {
    std::string path = f["path"];
    CHECK(path.size() > 4);
    CHECK(path.substr(path.size() - 4) == ".enc");
    std::string zst = decrypt_by_the_spec(kHexKey, salt, path, read_whole_file(dir + "/" + path));
    CHECK(zst.substr(0, 4) == "\x28\xb5\x2f\xfd");  // a zstd frame
  }
}

TEST_CASE("an encrypted archive needs its key, and only its key", "[encrypt][verify]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  TempDir keys;
  std::string key_path = key_file(keys, kHexKey + "\n");
  make_archive(Env::posix(), dir, ArchiveCipher::create(key_of(kHexKey)));
  const SecretKey key = key_of(kHexKey), other = key_of(kOtherHexKey);

  auto refusal_with = [&](const SecretKey* k, bool deep = false) -> std::pair<Errc, std::string> {
    try {
      open_archive(Env::posix(), dir, VerifyOptions{deep, k});
    } catch (const Error& e) {
      return {e.code(), e.what()};
    }
    return {Errc::internal, ""};
  };

  OpenedArchive a = open_archive(Env::posix(), dir, VerifyOptions{true, &key});
  REQUIRE(a.cipher);
  CHECK(a.manifest_file == "manifest.json.enc");
  CHECK(a.manifest.databases.size() == 2);
  CHECK(a.manifest.databases[0].tables[0].rows == 101);
  EncryptionOptions enc;
  enc.key_file = key_path;
  ArchiveInfo info = verify(dir, true, enc);
  CHECK(info.encrypted);
  CHECK(info.key_id == key_id(key));
  CHECK(info.format_version == 3);
  CHECK(info.files == 3);

  SECTION("no key") {
    auto [code, why] = refusal_with(nullptr);
    CHECK(code == Errc::invalid_argument);
    CHECK(has(why, "is encrypted"));
    CHECK(has(why, key_id(key)));
    CHECK(has(why, "--encrypt-key-file"));
    CHECK_THROWS_WITH(verify(dir, true), Catch::Contains("is encrypted"));
  }
  SECTION("a wrong key: both key ids named") {
    auto [code, why] = refusal_with(&other);
    CHECK(code == Errc::invalid_argument);
    CHECK(has(why, key_id(key)));
    CHECK(has(why, key_id(other)));
  }
  SECTION("a key for a plaintext archive") {
    std::string plain = t / "plain.omsdump";
    make_archive(Env::posix(), plain);
    try {
      open_archive(Env::posix(), plain, VerifyOptions{false, &key});
      FAIL("a plaintext archive was accepted with a key");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(has(e.what(), "not encrypted"));
    }
  }
  SECTION("a forged key id in DONE still fails on the manifest") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["encryption"]["key_id"] = key_id(other);
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    auto [code, why] = refusal_with(&other);
    CHECK(code == Errc::corrupt_archive);
    CHECK(has(why, "manifest.json.enc"));
    CHECK(has(why, "fails authentication"));
  }
  SECTION("another salt in DONE") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["encryption"]["salt"] = std::string(64, 'a');
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    auto [code, why] = refusal_with(&key);
    CHECK(code == Errc::corrupt_archive);
    CHECK(has(why, "manifest.json.enc"));
  }
  SECTION("an unknown cipher") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["encryption"]["cipher"] = "ChaCha20-Poly1305";
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    auto [code, why] = refusal_with(&key);
    CHECK(code == Errc::unsupported);
    CHECK(has(why, "ChaCha20-Poly1305"));
  }
  SECTION("an encryption entry that is not an object, with and without a key") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["encryption"] = "AES";
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    for (const SecretKey* k : {static_cast<const SecretKey*>(nullptr), &key}) {
      auto [code, why] = refusal_with(k);
      CHECK(code == Errc::corrupt_archive);
      CHECK(has(why, "DONE"));
    }
  }
  SECTION("the encryption entry removed from DONE") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done.erase("encryption");
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    auto [code, why] = refusal_with(nullptr);
    CHECK(code == Errc::corrupt_archive);
    CHECK(has(why, "encryption"));
  }
  SECTION("a changed manifest with DONE recomputed to match") {
    std::string sealed = read_whole_file(dir + "/manifest.json.enc");
    sealed[sealed.size() / 2] ^= 0x04;
    write_whole_file(dir + "/manifest.json.enc", sealed);
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["manifest_sha256"] = to_hex(Sha256::of(sealed));
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    auto [code, why] = refusal_with(&key);
    CHECK(code == Errc::corrupt_archive);
    CHECK(has(why, "manifest.json.enc"));
    CHECK(has(why, "fails authentication"));
  }
  SECTION("another archive's manifest and DONE (same key) over these chunks") {
    std::string other_dir = t / "b.omsdump";
    make_archive(Env::posix(), other_dir, ArchiveCipher::create(key));
    for (const char* f : {"/DONE", "/manifest.json.enc"})
      write_whole_file(dir + f, read_whole_file(other_dir + f));
    auto [code, why] = refusal_with(&key);
    CHECK(code == Errc::corrupt_archive);
    CHECK(has(why, "SHA-256"));
  }
  SECTION("two chunk files swapped: each fails to decrypt at the other's path") {
    const std::string c1 = "data/0001/00001-000001.tsv.zst.enc", c2 = "data/0001/00001-000002.tsv.zst.enc";
    std::string b1 = read_whole_file(dir + "/" + c1), b2 = read_whole_file(dir + "/" + c2);
    CHECK(refusal_with(&key).second.empty());  // still fine before the swap
    write_whole_file(dir + "/" + c1, b2);
    write_whole_file(dir + "/" + c2, b1);
    CHECK(refusal_with(&key).first == Errc::corrupt_archive);  // their SHA-256 no longer match
    try {
      ChunkReader r(Env::posix(), dir, c1, a.cipher.get());
      char buf[1 << 17];
      while (r.read(buf, sizeof buf) != 0) {
      }
      FAIL("a chunk read under another file's path");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::corrupt_archive);
      CHECK(has(e.what(), c1));
      CHECK(has(e.what(), "fails authentication"));
    }
  }
  SECTION("a chunk truncated (deep and file-hash checks)") {
    const std::string c = "data/0002/00001-000001.tsv.zst.enc";
    std::string b = read_whole_file(dir + "/" + c);
    write_whole_file(dir + "/" + c, b.substr(0, b.size() - 1));
    CHECK(refusal_with(&key, true).first == Errc::corrupt_archive);
  }
}

TEST_CASE("an encrypting writer that fails leaves nothing behind", "[encrypt][writer]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  SECTION("the disk fills up inside a chunk") {
    FaultEnv env(Env::posix());
    env.set_disk_full_after(100);
    CHECK_THROWS_AS(make_archive(env, dir, ArchiveCipher::create(key_of(kHexKey))), Error);
  }
  SECTION("the sealed manifest's rename fails") {
    FaultEnv env(Env::posix());
    env.fail_rename(4);  // three chunk files, then the manifest
    CHECK_THROWS_AS(make_archive(env, dir, ArchiveCipher::create(key_of(kHexKey))), Error);
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}
