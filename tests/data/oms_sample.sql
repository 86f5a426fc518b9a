SET NAMES utf8mb4;
-- Sample OMS MetaDB content for omsbackup's demo and tests (see shared reference oms.md).
-- Load:  mariadb --defaults-file="$OMSB_SANDBOX_DIR/client.cnf" < tests/data/oms_sample.sql
-- Re-runnable: it drops and recreates rm, cm, cm_hb1 and cm_hb2.
-- Portable SQL (MariaDB 10.x, MySQL 5.7/8.0): no CTEs, no sequence engine.
--
-- Expected row counts after loading (tests may rely on these):
--   rm.cluster_info 2, rm.oms_user 3, rm.project 4
--   cm.resource_group 2, cm.host 4, cm.host_resource 8, cm.config_job 8,
--   cm.task 6 (AUTO_INCREMENT=100001 while MAX(id)=6), cm.task_checkpoint 4
--   cm_hb1.heatbeat_sequence 3000 (ids 1..3000, AUTO_INCREMENT=3001)
--   cm_hb2.heatbeat_sequence 2500 (ids 1000001..1002500, AUTO_INCREMENT=1002501)
-- Charsets: rm utf8mb4/utf8mb4_general_ci, cm utf8mb4/utf8mb4_unicode_ci,
--   cm_hb1/cm_hb2 utf8 (= utf8mb3)/utf8_general_ci.

SET time_zone = '+00:00';

DROP DATABASE IF EXISTS rm;
DROP DATABASE IF EXISTS cm;
DROP DATABASE IF EXISTS cm_hb1;
DROP DATABASE IF EXISTS cm_hb2;

CREATE DATABASE rm DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE DATABASE cm DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE cm_hb1 DEFAULT CHARACTER SET utf8 COLLATE utf8_general_ci;
CREATE DATABASE cm_hb2 DEFAULT CHARACTER SET utf8 COLLATE utf8_general_ci;

-- ---------------------------------------------------------------------------- rm
USE rm;

CREATE TABLE cluster_info (
  id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',
  region varchar(64) NOT NULL COMMENT 'region code, e.g. cn-anhui',
  region_cn varchar(128) DEFAULT NULL COMMENT '地域中文名',
  cm_url varchar(512) NOT NULL,
  code int(11) NOT NULL COMMENT 'cm_location, 0-127',
  is_default_cm tinyint(1) NOT NULL DEFAULT 0,
  gmt_created datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  gmt_modified datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uk_region (region),
  UNIQUE KEY uk_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='OMS 地域 / CM 集群';

INSERT INTO cluster_info (id, region, region_cn, cm_url, code, is_default_cm, gmt_created, gmt_modified) VALUES
  (1, 'cn-anhui',    '安徽', 'http://10.0.0.2:8088', 100, 1, '2024-03-01 10:00:00', '2024-03-01 10:00:00'),
  (2, 'cn-hangzhou', '杭州', 'http://10.0.1.2:8088', 101, 0, '2024-03-01 10:05:00', '2024-06-12 08:30:15');

CREATE TABLE oms_user (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  username varchar(64) NOT NULL,
  password_hash char(64) NOT NULL COMMENT 'sha256 hex',
  roles varchar(255) NOT NULL DEFAULT '',
  email varchar(255) DEFAULT NULL,
  nick_name varchar(64) DEFAULT NULL,
  gmt_created datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO oms_user VALUES
  (1, 'admin',    '8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918', 'ADMIN', 'admin@example.com', '管理员', '2024-03-01 10:00:00'),
  (2, 'operator', '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8', 'OPS,VIEW', NULL, '', '2024-03-02 11:11:11'),
  (3, 'viewer',   'ef797c8118f02dfb649607dd5d3f8c7623048c9c063d532cc95c5ed7a898a64f', '', '', NULL, '2024-03-03 12:00:00');

CREATE TABLE project (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  name varchar(128) NOT NULL,
  type varchar(32) NOT NULL COMMENT 'MIGRATION | SYNC',
  status varchar(32) NOT NULL,
  owner_id bigint(20) NOT NULL,
  region varchar(64) NOT NULL,
  description varchar(1024) DEFAULT NULL,
  labels json DEFAULT NULL,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  KEY idx_owner (owner_id),
  KEY idx_region_status (region, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO project VALUES
  (1, 'mysql_to_ob_订单库', 'MIGRATION', 'RUNNING',  1, 'cn-anhui',    '订单库全量+增量迁移', '["prod", "订单"]', '2024-04-01 09:00:00', '2024-06-01 09:00:00'),
  (2, 'ob_to_kafka_sync',   'SYNC',      'RUNNING',  2, 'cn-hangzhou', NULL, NULL, '2024-04-02 09:00:00', '2024-04-02 09:00:00'),
  (3, 'legacy it''s "old"', 'MIGRATION', 'FINISHED', 1, 'cn-anhui',    '', '[]', '2024-01-15 00:00:00', '2024-02-01 23:59:59'),
  (4, 'tab\there\\back',    'SYNC',      'PAUSED',   2, 'cn-anhui',    'line1\nline2\r\nline3', '{"k": "v\\"q"}', '2024-05-05 05:05:05', '2024-05-05 05:05:05');

-- ---------------------------------------------------------------------------- cm
USE cm;

CREATE TABLE resource_group (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  name varchar(64) NOT NULL,
  region varchar(64) NOT NULL,
  description varchar(255) DEFAULT NULL,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO resource_group VALUES
  (1, 'default', 'cn-anhui',    '默认资源组', '2024-03-01 10:00:00', '2024-03-01 10:00:00'),
  (2, 'hz-pool', 'cn-hangzhou', NULL,         '2024-03-01 10:05:00', '2024-03-01 10:05:00');

CREATE TABLE host (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  ip varchar(64) NOT NULL,
  hostname varchar(128) DEFAULT NULL,
  resource_group_id bigint(20) NOT NULL,
  status varchar(32) NOT NULL DEFAULT 'ONLINE',
  tags varchar(255) DEFAULT NULL,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_ip (ip),
  KEY idx_group (resource_group_id),
  CONSTRAINT fk_host_group FOREIGN KEY (resource_group_id) REFERENCES resource_group (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO host VALUES
  (1, '10.0.0.2', 'oms-ah-1', 1, 'ONLINE',  'cm,supervisor', '2024-03-01 10:00:00', '2024-03-01 10:00:00'),
  (2, '10.0.0.3', 'oms-ah-2', 1, 'ONLINE',  '',              '2024-03-01 10:00:00', '2024-03-01 10:00:00'),
  (3, '10.0.1.2', NULL,       2, 'OFFLINE', NULL,            '2024-03-01 10:05:00', '2024-05-20 17:45:00'),
  (4, '10.0.1.3', 'oms-hz-2', 2, 'ONLINE',  'store',         '2024-03-01 10:05:00', '2024-03-01 10:05:00');

-- Composite primary key.
CREATE TABLE host_resource (
  host_id bigint(20) NOT NULL,
  resource_type varchar(32) NOT NULL COMMENT 'CPU | MEMORY | DISK | PORT',
  total bigint(20) NOT NULL,
  used bigint(20) NOT NULL DEFAULT 0,
  unit varchar(16) DEFAULT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (host_id, resource_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO host_resource VALUES
  (1, 'CPU',    32,            12,           'core', '2024-06-01 00:00:00'),
  (1, 'MEMORY', 137438953472,  68719476736,  'byte', '2024-06-01 00:00:00'),
  (1, 'DISK',   2199023255552, 0,            NULL,   '2024-06-01 00:00:00'),
  (2, 'CPU',    32,            0,            'core', '2024-06-01 00:00:00'),
  (2, 'PORT',   1000,          17,           '',     '2024-06-01 00:00:00'),
  (3, 'CPU',    16,            16,           'core', '2024-06-01 00:00:00'),
  (4, 'CPU',    16,            4,            'core', '2024-06-01 00:00:00'),
  (4, 'MEMORY', 68719476736,   -1,           'byte', '2024-06-01 00:00:00');

-- Key/value configuration with TEXT values.
CREATE TABLE config_job (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  `key` varchar(128) NOT NULL,
  `value` text,
  scope varchar(32) NOT NULL DEFAULT 'GLOBAL',
  description varchar(255) DEFAULT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_key_scope (`key`, scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO config_job (id, `key`, `value`, scope, description, gmt_modified) VALUES
  (1, 'cm.heartbeat.interval.ms', '5000', 'GLOBAL', NULL, '2024-03-01 10:00:00'),
  (2, 'cm.region', 'cn-anhui', 'cn-anhui', '地域', '2024-03-01 10:00:00'),
  (3, 'store.jvm.options', '-Xms4g -Xmx8g -XX:+UseG1GC\n-Dfile.encoding=UTF-8', 'GLOBAL', '', '2024-03-01 10:00:00'),
  (4, 'alarm.webhook', NULL, 'GLOBAL', 'not configured', '2024-03-01 10:00:00'),
  (5, 'empty.value', '', 'GLOBAL', NULL, '2024-03-01 10:00:00'),
  (6, 'sql.template', 'SELECT * FROM `t` WHERE a = ''x'' AND b = "y" AND c LIKE ''%\\_%'';', 'GLOBAL', NULL, '2024-03-01 10:00:00'),
  (7, 'emoji.greeting', '迁移完成 ✅ 🚀 — ok', 'GLOBAL', NULL, '2024-03-01 10:00:00'),
  (8, 'big.blacklist', REPEAT('db_a.tbl_x,db_b.表_y,', 2900), 'GLOBAL', '63800 bytes, just under the TEXT limit', '2024-03-01 10:00:00');

-- JSON-heavy task table. ids 1..6 kept; the high ids inserted and deleted below
-- push AUTO_INCREMENT far above MAX(id).
CREATE TABLE task (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  name varchar(128) NOT NULL,
  type varchar(64) NOT NULL,
  host_id bigint(20) DEFAULT NULL,
  status varchar(32) NOT NULL,
  params json NOT NULL,
  result longtext,
  error_msg varchar(2048) DEFAULT NULL,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  KEY idx_status (status),
  KEY idx_host (host_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO task (id, name, type, host_id, status, params, result, error_msg, gmt_created, gmt_modified) VALUES
  (1, 'store-1001', 'STORE_START', 1, 'SUCCESS',
   '{"project_id": 1, "store": {"id": 1001, "topic": "订单_topic", "filters": ["db1.*", "db2.t_\\\\d+"]}, "ports": [17001, 17002], "enabled": true, "ratio": 0.75, "extra": null}',
   '{"pid": 4242, "log": "started\\nok"}', NULL, '2024-04-01 09:00:00', '2024-04-01 09:00:05'),
  (2, 'incr-sync-2', 'INCR_SYNC', 2, 'RUNNING',
   '{"checkpoint": {"file": "mysql-bin.000042", "pos": 12345}, "tables": [{"db": "db1", "name": "t1"}, {"db": "db1", "name": "t 2"}], "quote": "she said \\"hi\\""}',
   NULL, NULL, '2024-04-02 09:00:00', '2024-06-01 12:00:00'),
  (3, 'full-verify-3', 'VERIFY', NULL, 'FAILED', '{}', '', 'diff found in 3 tables:\n\tdb1.t1\n\tdb1.t2\n\tdb2.t9', '2024-04-03 00:00:00', '2024-04-03 01:00:00'),
  (4, 'empty-arr', 'NOOP', NULL, 'SUCCESS', '[]', NULL, '', '2024-04-04 00:00:00', '2024-04-04 00:00:00'),
  (5, 'big-result', 'REPORT', 3, 'SUCCESS', '{"rows": 100000}',
   CONCAT('{"report": "', REPEAT('0123456789abcdef', 16384), '"}'), NULL, '2024-04-05 00:00:00', '2024-04-05 00:00:00'),
  (6, 'unicode-任务', 'CHECK', 4, 'SUCCESS', '{"名称": "检查", "emoji": "🚀", "esc": "\\u00e9\\/"}',
   'résumé naïve 中文 🚀', NULL, '2024-04-06 00:00:00', '2024-04-06 00:00:00');

INSERT INTO task (id, name, type, status, params, gmt_created, gmt_modified) VALUES
  (99998, 'gone-1', 'NOOP', 'DELETED', '{}', '2024-04-07 00:00:00', '2024-04-07 00:00:00'),
  (99999, 'gone-2', 'NOOP', 'DELETED', '{}', '2024-04-07 00:00:00', '2024-04-07 00:00:00'),
  (100000, 'gone-3', 'NOOP', 'DELETED', '{}', '2024-04-07 00:00:00', '2024-04-07 00:00:00');
DELETE FROM task WHERE id >= 99998;
-- Pin the counter explicitly as well (MySQL 5.7 does not persist it across restarts).
ALTER TABLE task AUTO_INCREMENT = 100001;

-- Binary data: VARBINARY and BLOB with 0x00, 0x09, 0x0A, 0x0D, 0x1A, 0x22, 0x27, 0x5C, 0xFF.
CREATE TABLE task_checkpoint (
  task_id bigint(20) NOT NULL,
  seq int(11) NOT NULL,
  digest varbinary(32) DEFAULT NULL,
  payload blob,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (task_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO task_checkpoint VALUES
  (1, 1, X'00090A5CFF', X'0001020304090A0D1A2227305C7F80FEFF00', '2024-04-01 09:00:05'),
  (1, 2, X'', X'', '2024-04-01 09:00:06'),
  (2, 1, NULL, NULL, '2024-06-01 12:00:00'),
  (2, 2, UNHEX(SHA2('checkpoint', 256)), UNHEX(REPEAT('00FF5C0A0927', 3000)), '2024-06-01 12:00:01');

-- ------------------------------------------------------------ heartbeat (per region)
-- Layout exactly as in OMS; rows are generated server-side from a digits cross join.
USE cm_hb1;

CREATE TABLE heatbeat_sequence (
  id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8 COMMENT='心跳 sequence 表';

INSERT INTO heatbeat_sequence (id, gmt_created, gmt_modified)
SELECT n + 1, '2024-06-01 00:00:00' + INTERVAL (n * 5) SECOND, '2024-06-01 00:00:00' + INTERVAL (n * 5) SECOND
FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n
      FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2) e) nums
ORDER BY n;

USE cm_hb2;

CREATE TABLE heatbeat_sequence (
  id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8 COMMENT='心跳 sequence 表';

-- A long-running region: ids start past one million (older rows were pruned long ago).
INSERT INTO heatbeat_sequence (id, gmt_created, gmt_modified)
SELECT 1000001 + n, '2024-06-01 00:00:00' + INTERVAL (n * 5) SECOND, '2024-06-01 00:00:00' + INTERVAL (n * 5) SECOND
FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n
      FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c
      CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2) e) nums
WHERE n < 2500
ORDER BY n;
