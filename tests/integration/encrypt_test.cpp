// Encrypted archives against the sandbox server: a dump with a key restores identical to
// the source, its files hold none of the source's text, and a missing or wrong key is
// refused before the server is contacted, leaving the live database as it was.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const char* kDb = "enc_src";
// A data source's credentials, as OMS keeps them in its metadata.
const std::string kSecret = "oms-ds-p4ssw0rd-Zq81xT";
const std::string kSecretTable = "enc_datasource_credentials";

void make_source(Session& s) {
  s.execute(fmt::format("DROP DATABASE IF EXISTS {}", kDb));
  s.execute(fmt::format("CREATE DATABASE {} CHARACTER SET utf8mb4", kDb));
  s.execute(fmt::format("CREATE TABLE {}.{} (id INT PRIMARY KEY, host VARCHAR(64), "
                        "username VARCHAR(64), password VARCHAR(128), extra BLOB)",
                        kDb, kSecretTable));
  s.execute(fmt::format("INSERT INTO {}.{} VALUES (1, 'ob-1', 'oms', '{}', X'00FF'), "
                        "(2, 'ob-2', 'root@sys', CONCAT('{}', '#2'), NULL)",
                        kDb, kSecretTable, kSecret, kSecret));
  // Enough rows for several chunks, each file several 64 KiB segments.
  s.execute(fmt::format("CREATE TABLE {}.bulk (id INT PRIMARY KEY, h VARCHAR(200), n INT)", kDb));
  s.execute(fmt::format("INSERT INTO {}.bulk SELECT seq, SHA2(seq, 512), seq % 97 "
                        "FROM {}.seq_1_to_20000",
                        kDb, kDb));
  s.execute(fmt::format("ANALYZE TABLE {}.bulk", kDb));
}

const std::string kKeyHex = "5b0f3c5e9a1d7e2c4b6a8f0e1d3c5b7a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const std::string kOtherKeyHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Every byte of every file of the archive.
std::string all_bytes(const std::string& archive) {
  std::string out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(archive))
    if (e.is_regular_file()) out += read_file(e.path());
  return out;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string dump_encrypted(const std::string& key_file, const std::string& tag) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kDb};
  d.output = fresh_path(tag);
  d.threads = 2;
  d.chunk_bytes = 512 * 1024;
  d.encryption.key_file = key_file;
  DumpReport r = dump(d);
  CHECK(r.key_id.size() == 16);
  return d.output;
}

RestoreOptions restore_options(const std::string& archive, const std::string& key_file) {
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  r.threads = 2;
  r.encryption.key_file = key_file;
  return r;
}

// The error a restore fails with; "" if it succeeded.
std::pair<Errc, std::string> restore_refusal(const RestoreOptions& o) {
  try {
    restore(o);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {Errc::internal, ""};
}

}  // namespace

TEST_CASE("an encrypted archive restores identical to the source and holds none of its text",
          "[encrypt]") {
  auto s = sandbox_session();
  make_source(*s);
  DatabaseState source = capture(*s, kDb);
  std::string keys = temp_dir("enc-keys");
  std::string key = write_key(keys, "k", kKeyHex);
  std::string archive = dump_encrypted(key, "enc-roundtrip");

  // Several chunk files, each several segments long, all sealed.
  std::size_t chunks = 0, biggest = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(archive + "/data"))
    if (e.is_regular_file()) {
      ++chunks;
      biggest = std::max<std::size_t>(biggest, e.file_size());
      CHECK(e.path().extension() == ".enc");
      CHECK(read_file(e.path()).substr(0, 8) == "OMSBENC1");
    }
  CHECK(chunks >= 3);
  CHECK(biggest > 2 * 65536);  // three segments or more
  CHECK_FALSE(std::filesystem::exists(archive + "/manifest.json"));
  // The raw bytes: no secret, no row data, no table or database name.
  std::string raw = all_bytes(archive);
  CHECK_FALSE(contains(raw, kSecret));
  CHECK_FALSE(contains(raw, "p4ssw0rd"));
  CHECK_FALSE(contains(raw, kSecretTable));
  CHECK_FALSE(contains(raw, kDb));
  CHECK_FALSE(contains(raw, "CREATE TABLE"));
  // What the same dump holds without a key (so the checks above can fail).
  DumpOptions plain;
  plain.connection = sandbox_connection();
  plain.databases = {kDb};
  plain.output = fresh_path("enc-plain");
  dump(plain);
  CHECK(contains(read_file(plain.output + "/manifest.json"), kSecretTable));

  EncryptionOptions enc;
  enc.key_file = key;
  ArchiveInfo info = verify(archive, /*deep=*/true, enc);
  CHECK(info.encrypted);
  CHECK(info.format_version == 3);
  CHECK(info.tables.size() == 2);

  s->execute(fmt::format("DELETE FROM {}.bulk WHERE id > 100", kDb));
  s->execute(fmt::format("UPDATE {}.{} SET password = 'changed'", kDb, kSecretTable));
  RestoreReport r = restore(restore_options(archive, key));
  CHECK(r.rows == 20002);
  CHECK(r.verified);
  require_same(source, capture(*s, kDb));

  // The INSERT loader reads the same sealed chunks.
  s->execute(fmt::format("DELETE FROM {}.bulk WHERE id > 100", kDb));
  RestoreOptions ins = restore_options(archive, key);
  ins.load_method = LoadMethod::insert;
  restore(ins);
  require_same(source, capture(*s, kDb));
}

TEST_CASE("a missing, wrong or unneeded key is refused before the server is touched",
          "[encrypt]") {
  auto s = sandbox_session();
  make_source(*s);
  std::string keys = temp_dir("enc-keys");
  std::string key = write_key(keys, "k", kKeyHex);
  std::string wrong = write_key(keys, "wrong", kOtherKeyHex);
  std::string archive = dump_encrypted(key, "enc-refuse");
  // The live database drifts from the archive: any restore would change it.
  s->execute(fmt::format("DELETE FROM {}.bulk WHERE id > 15000", kDb));
  s->execute(fmt::format("CREATE TABLE {}.added_later (x INT)", kDb));
  DatabaseState live = capture(*s, kDb);

  SECTION("no key") {
    auto [code, why] = restore_refusal(restore_options(archive, ""));
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "is encrypted"));
    CHECK(contains(why, "--encrypt-key-file"));
    CHECK_THROWS_WITH(verify(archive, true), Catch::Contains("is encrypted"));
  }
  SECTION("a wrong key, named by its key id") {
    auto [code, why] = restore_refusal(restore_options(archive, wrong));
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "key id"));
  }
  SECTION("a key file others can read") {
    ::chmod(key.c_str(), 0644);
    auto [code, why] = restore_refusal(restore_options(archive, key));
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "chmod 600"));
  }
  SECTION("a sealed chunk changed by one byte") {
    std::string victim;
    for (const auto& e : std::filesystem::recursive_directory_iterator(archive + "/data"))
      if (e.is_regular_file()) victim = e.path();
    std::string bytes = read_file(victim);
    bytes[bytes.size() / 2] ^= 0x20;
    std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
    auto [code, why] = restore_refusal(restore_options(archive, key));
    CHECK(code == Errc::corrupt_archive);
    CHECK(contains(why, victim.substr(archive.size() + 1)));
  }
  SECTION("a key given for a plaintext archive") {
    DumpOptions plain;
    plain.connection = sandbox_connection();
    plain.databases = {kDb};
    plain.output = fresh_path("enc-plain2");
    dump(plain);
    auto [code, why] = restore_refusal(restore_options(plain.output, key));
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "not encrypted"));
  }
  SECTION("the key is checked before the server is contacted") {
    // A server that does not exist: the key error comes first, not a connection error.
    RestoreOptions o = restore_options(archive, wrong);
    o.connection.port = 1;
    auto [code, why] = restore_refusal(o);
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "key id"));
    o.encryption.key_file.clear();
    std::tie(code, why) = restore_refusal(o);
    CHECK(code == Errc::invalid_argument);
    CHECK(contains(why, "is encrypted"));
    // With the right key, the restore gets as far as connecting.
    o.encryption.key_file = key;
    std::tie(code, why) = restore_refusal(o);
    CHECK(code == Errc::server);
  }
  require_same(live, capture(*s, kDb));
  CHECK_FALSE(std::filesystem::exists(archive + ".restore-journal"));
}

TEST_CASE("omsdump and omsrestore with --encrypt-key-file and --oms-config", "[encrypt][cli][oms]") {
  std::string root = std::getenv("OMSB_SOURCE_ROOT") ? std::getenv("OMSB_SOURCE_ROOT") : ".";
  load_sql_file(root + "/tests/data/oms_sample.sql");
  auto s = sandbox_session();
  const std::vector<std::string> dbs = {"rm", "cm", "cm_hb1"};
  std::vector<DatabaseState> before;
  for (const auto& db : dbs) before.push_back(capture(*s, db));
  std::string dir = temp_dir("enc-cli");
  std::string config = write_oms_config(dir, "config.yaml", "cm_hb1", 1, true);
  std::string key = write_key(dir, "oms.key", kKeyHex);
  std::string wrong = write_key(dir, "wrong.key", kOtherKeyHex);
  std::string archive = dir + "/backup";
  std::string password = *sandbox_connection().password;

  CommandResult d = run_command(fmt::format("env -u MYSQL_PWD {} --oms-config {} --prune-heartbeat=none "
                                            "--encrypt-key-file {} -o {}",
                                            tool_path("OMSDUMP"), config, key, archive));
  INFO(d.output);
  REQUIRE(d.status == 0);
  CHECK(contains(d.output, "encrypted with AES-256-GCM, key id"));
  std::string raw = all_bytes(archive);
  CHECK_FALSE(contains(raw, password));
  CHECK_FALSE(contains(raw, "heatbeat_sequence"));

  CommandResult no_key = run_command(tool_path("OMSRESTORE") + " --check " + archive);
  CHECK(no_key.status == 2);
  CHECK(contains(no_key.output, "is encrypted"));
  CommandResult bad_key = run_command(fmt::format("{} --check --encrypt-key-file {} {}",
                                                  tool_path("OMSRESTORE"), wrong, archive));
  CHECK(bad_key.status == 2);
  CHECK(contains(bad_key.output, "key id"));
  CommandResult ok = run_command(fmt::format("{} --check --encrypt-key-file {} {}",
                                             tool_path("OMSRESTORE"), key, archive));
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(contains(ok.output, "encrypted with AES-256-GCM"));
  CHECK(contains(ok.output, "heatbeat_sequence"));

  for (const auto& db : dbs) s->execute("DROP DATABASE IF EXISTS " + db);
  s->execute("CREATE DATABASE cm");  // a half-upgraded state
  s->execute("CREATE TABLE cm.new_table (x INT)");
  DatabaseState half = capture(*s, "cm");
  CommandResult refused = run_command(fmt::format("env -u MYSQL_PWD {} --oms-config {} "
                                                  "--encrypt-key-file {} {}",
                                                  tool_path("OMSRESTORE"), config, wrong, archive));
  CHECK(refused.status == 2);
  CHECK(contains(refused.output, "key id"));
  require_same(half, capture(*s, "cm"));

  CommandResult r = run_command(fmt::format("env -u MYSQL_PWD {} --oms-config {} "
                                            "--encrypt-key-file {} {}",
                                            tool_path("OMSRESTORE"), config, key, archive));
  INFO(r.output);
  REQUIRE(r.status == 0);
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    INFO("database " << dbs[i]);
    require_same(before[i], capture(*s, dbs[i]));
  }
}
