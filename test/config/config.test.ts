import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedKeys, envName, KEYS, loadConfig, parseValue, type LoadConfigOptions } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { SCENARIO_NAMES } from '../../src/simulator/scenarios.js';
import { tempDir } from '../helpers/tmp.js';

/** Write `text` as a properties file in a temp folder; returns its path. */
function propertiesFile(text: string, name = 'nbwss.properties'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

/** Load with an empty environment and a working directory holding no config/ folder, unless given. */
function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, cwd: tempDir(), ...options });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('NBWSS_ERR_CONFIG');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: where the file comes from', () => {
  it('without any file: the defaults, no file, no warnings', () => {
    const cwd = tempDir();
    const { config, file, warnings, sources } = loadConfig({ env: {}, cwd });
    expect(file).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(config.connectionInfo.period).toBe(60);
    expect(config.keepAlive.scheduledRate).toBe(30);
    expect(config.notification.sendTimeout).toBe(2000);
    expect(config.db.path).toBe(join(cwd, 'var/nbwss.db'));
    expect(config.command.allowedPathPrefixes).toEqual(['/netbackup/']);
    expect(Object.values(sources).every((s) => s.kind === 'default')).toBe(true);
  });

  it('reads config/nbwss.properties under the working directory when nothing else is given', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'nbwss.properties'), 'connectionInfo.period=7\n');
    const { config, file, sources } = loadConfig({ env: {}, cwd });
    expect(file).toBe(join(cwd, 'config', 'nbwss.properties'));
    expect(config.connectionInfo.period).toBe(7);
    expect(sources['connectionInfo.period']).toEqual({ kind: 'file', file: join(cwd, 'config', 'nbwss.properties'), line: 1 });
  });

  it('--config FILE wins over $NBWSS_CONFIG, which wins over config/nbwss.properties', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'nbwss.properties'), 'connectionInfo.period=1\n');
    const fromEnv = propertiesFile('connectionInfo.period=2\n');
    const fromFlag = propertiesFile('connectionInfo.period=3\n');
    expect(loadConfig({ cwd, env: { NBWSS_CONFIG: fromEnv } }).config.connectionInfo.period).toBe(2);
    expect(loadConfig({ cwd, env: { NBWSS_CONFIG: fromEnv }, file: fromFlag }).config.connectionInfo.period).toBe(3);
  });

  it('resolves a relative --config against the working directory', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'my.properties'), 'keepAlive.scheduledRate=4\n');
    const { config, file } = loadConfig({ env: {}, cwd, file: 'my.properties' });
    expect(file).toBe(join(cwd, 'my.properties'));
    expect(config.keepAlive.scheduledRate).toBe(4);
  });

  it('a missing --config file is an error naming the file', () => {
    const err = configError(() => load({ file: '/nonexistent/nbwss.properties' }));
    expect(err.message).toMatch(/cannot read configuration file \/nonexistent\/nbwss\.properties \(from --config\)/);
  });

  it('a missing $NBWSS_CONFIG file is an error naming the file and the variable', () => {
    const err = configError(() => load({ env: { NBWSS_CONFIG: '/nonexistent/x.properties' } }));
    expect(err.message).toMatch(/\/nonexistent\/x\.properties \(from \$NBWSS_CONFIG\)/);
  });
});

describe('loadConfig: values', () => {
  it('accepts decimal seconds (connectionInfo.period=0.25) so tests and demos run fast', () => {
    const { config } = load({ file: propertiesFile('connectionInfo.period=0.25\nkeepAlive.scheduledRate=0.5\nnotification.delay=0\n') });
    expect(config.connectionInfo.period).toBe(0.25);
    expect(config.keepAlive.scheduledRate).toBe(0.5);
    expect(config.notification.delay).toBe(0);
  });

  it('keepAlive.scheduledRate=abc stops with the key, the value, the file and the line', () => {
    const file = propertiesFile('# header\nconnectionInfo.period=5\nkeepAlive.scheduledRate=abc\n');
    const err = configError(() => load({ file }));
    expect(err.message).toContain('keepAlive.scheduledRate');
    expect(err.message).toContain('"abc"');
    expect(err.message).toContain(`${file}:3`);
  });

  for (const [line, why] of [
    ['connectionInfo.period=-1', /greater than 0/],
    ['connectionInfo.period=0', /greater than 0/],
    ['keepAlive.scheduledRate=-0.5', /greater than 0/],
    ['notification.scheduledRate=', /greater than 0/],
    ['notification.delay=-3', /0 or more/],
    ['notification.sendTimeout=1.5', /whole number of milliseconds/],
    ['notification.sendTimeout=0', /whole number of milliseconds/],
    ['keepAlive.maxPongMissAllowed=0', /1 or more/],
    ['connectionInfo.period=3000000', /at most 2147483 seconds/],
    ['command.timeout=2147483648', /at most 2147483647 milliseconds/],
    ['scheduledExecutor.threadPoolSize=two', /1 or more/],
    ['exception.ignoreDecoder=yes', /true or false/],
    ['netbackup.baseUrl=ftp://x', /http/],
    ['admin.listen=9464', /host:port/],
    ['admin.listen=h:99999', /host:port/],
    ['log.level=verbose', /one of/],
    ['command.allowedPathPrefixes= , ', /at least one/],
  ] as const) {
    it(`rejects ${line}`, () => {
      const err = configError(() => load({ file: propertiesFile(`${line}\n`) }));
      expect(err.message).toMatch(why);
      expect(err.message).toContain(':1)');
    });
  }

  it('booleans ignore case; lists split on commas and drop blanks', () => {
    const { config } = load({ file: propertiesFile('exception.ignoreDecoder=TRUE\ncommand.allowedPathPrefixes=/a/, /b/ ,,\nadmin.listen=\n') });
    expect(config.exception.ignoreDecoder).toBe(true);
    expect(config.command.allowedPathPrefixes).toEqual(['/a/', '/b/']);
    expect(config.admin.listen).toBe('');
  });

  it('an unknown key is a warning naming the key and the line, not an error', () => {
    const file = propertiesFile('connectionInfo.period=5\nconnectionInfo.perod=6\n');
    const { config, warnings } = load({ file });
    expect(config.connectionInfo.period).toBe(5);
    expect(warnings).toEqual([`unknown configuration key "connectionInfo.perod" at ${file}:2 (ignored; did you mean connectionInfo.period?)`]);
  });

  it('hibernate.* keys are accepted silently', () => {
    const { warnings } = load({ file: propertiesFile('hibernate.format_sql=true\nhibernate.dialect=org.hibernate.dialect.SybaseDialect\nhibernate.anything=x\n') });
    expect(warnings).toEqual([]);
  });

  it('the last of a key given twice wins', () => {
    expect(load({ file: propertiesFile('connectionInfo.period=1\nconnectionInfo.period=2\n') }).config.connectionInfo.period).toBe(2);
  });

  it('the result is frozen', () => {
    const { config } = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.connectionInfo)).toBe(true);
    expect(() => {
      (config.connectionInfo as { period: number }).period = 1;
    }).toThrow();
  });
});

describe('loadConfig: environment and overrides', () => {
  it('NBWSS_<KEY> sets every key, over the file', () => {
    expect(envName('connectionInfo.period')).toBe('NBWSS_CONNECTIONINFO_PERIOD');
    expect(envName('netbackup.tls.rejectUnauthorized')).toBe('NBWSS_NETBACKUP_TLS_REJECTUNAUTHORIZED');
    const file = propertiesFile('connectionInfo.period=5\n');
    const { config, sources } = load({ file, env: { NBWSS_CONNECTIONINFO_PERIOD: '0.5', NBWSS_LOG_LEVEL: 'debug' } });
    expect(config.connectionInfo.period).toBe(0.5);
    expect(config.log.level).toBe('debug');
    expect(sources['connectionInfo.period']).toEqual({ kind: 'env', variable: 'NBWSS_CONNECTIONINFO_PERIOD' });
  });

  it('an invalid environment value names the variable', () => {
    const err = configError(() => load({ env: { NBWSS_KEEPALIVE_SCHEDULEDRATE: 'abc' } }));
    expect(err.message).toContain('keepAlive.scheduledRate');
    expect(err.message).toContain('"abc"');
    expect(err.message).toContain('environment variable NBWSS_KEEPALIVE_SCHEDULEDRATE');
  });

  it('overrides apply last and are checked; an unknown override key is an error', () => {
    const { config, sources } = load({ env: { NBWSS_CONNECTIONINFO_PERIOD: '3' }, overrides: { 'connectionInfo.period': 0.1 } });
    expect(config.connectionInfo.period).toBe(0.1);
    expect(sources['connectionInfo.period']).toEqual({ kind: 'override' });
    configError(() => load({ overrides: { 'connectionInfo.period': -1 } }));
    configError(() => load({ overrides: { 'no.such.key': 1 } as never }));
  });

  it('changedKeys lists the keys whose values differ', () => {
    const cwd = tempDir();
    const a = load({ cwd }).config;
    const b = load({ cwd, env: { NBWSS_CONNECTIONINFO_PERIOD: '3', NBWSS_COMMAND_ALLOWEDPATHPREFIXES: '/x/' } }).config;
    expect(changedKeys(a, b).sort()).toEqual(['command.allowedPathPrefixes', 'connectionInfo.period']);
  });
});

describe('loadConfig: hostile files (issue 10 D13)', () => {
  for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'constructor.prototype']) {
    it(`${key}=1 is an unknown key (a warning), not a crash`, () => {
      const file = propertiesFile(`${key}=1\nconnectionInfo.period=5\n`);
      const { config, warnings } = load({ file });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`unknown configuration key "${key}" at ${file}:1`);
      expect(config.connectionInfo.period).toBe(5);
    });
  }

  it('an override or a variable named after an Object.prototype member is refused or ignored', () => {
    configError(() => load({ overrides: { constructor: 1 } as never }));
    expect(load({ env: { NBWSS_CONSTRUCTOR: '1' } }).warnings).toEqual(['unknown environment variable NBWSS_CONSTRUCTOR (ignored)']);
  });

  it('a NUL byte is refused, naming the file and the line', () => {
    const file = join(tempDir(), 'nbwss.properties');
    writeFileSync(file, Buffer.concat([Buffer.from('connectionInfo.period=5\nlog.level=in'), Buffer.from([0]), Buffer.from('fo\n')]));
    expect(configError(() => load({ file })).message).toBe(`configuration file ${file}:2 holds a NUL byte (is it a properties file?)`);
  });

  it('bytes that are not UTF-8 are refused, naming the file and the line, never read as U+FFFD', () => {
    const file = join(tempDir(), 'nbwss.properties');
    writeFileSync(file, Buffer.concat([Buffer.from('a=1\nb=2\nsimulator.primaryName=caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(configError(() => load({ file })).message).toBe(`configuration file ${file}:3 is not valid UTF-8 (is it a properties file?)`);
  });

  it('binary garbage is refused, so a SIGHUP reload of it keeps the running configuration', () => {
    const file = join(tempDir(), 'nbwss.properties');
    writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe]));
    expect(configError(() => load({ file })).message).toMatch(/:1 (holds a NUL byte|is not valid UTF-8)/);
  });

  it('a UTF-8 byte-order mark is dropped', () => {
    const file = join(tempDir(), 'nbwss.properties');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('connectionInfo.period=5\n')]));
    const { config, warnings } = load({ file });
    expect(warnings).toEqual([]);
    expect(config.connectionInfo.period).toBe(5);
  });

  it('40,000 continuation lines make one value (parsed in linear time: bench figures in the commit)', () => {
    const lines = ['simulator.primaryName=a\\'];
    for (let i = 0; i < 40_000; i++) lines.push(`  b\\`);
    lines.push('  c');
    const { config } = load({ file: propertiesFile(lines.join('\n') + '\n') });
    expect(config.simulator.primaryName).toBe('a' + 'b'.repeat(40_000) + 'c');
  });
});

describe('loadConfig: unknown NBWSS_* variables (issue 10 D17)', () => {
  it('warn, with the closest known name; NBWSS_CONFIG and NBWSS_DEBUG are known', () => {
    const { warnings } = load({ env: { NBWSS_LOG_LEVL: 'debug', NBWSS_DEBUG: '1', NBWSS_SOMETHING_ELSE: 'x', OTHER: 'y' } });
    expect(warnings).toEqual([
      'unknown environment variable NBWSS_LOG_LEVL (ignored; did you mean NBWSS_LOG_LEVEL?)',
      'unknown environment variable NBWSS_SOMETHING_ELSE (ignored)',
    ]);
  });
});

describe('loadConfig: relative paths (issue 12 item 7)', () => {
  it('a relative path in the file, or a default while a file is used, resolves against the file folder', () => {
    const cwd = tempDir();
    const folder = tempDir();
    writeFileSync(join(folder, 'nbwss.properties'), 'db.path=data/nbwss.db\nlog.file=logs/nbwss.log\n');
    const { config } = loadConfig({ env: {}, cwd, file: join(folder, 'nbwss.properties') });
    expect(config.db.path).toBe(join(folder, 'data/nbwss.db'));
    expect(config.log.file).toBe(join(folder, 'logs/nbwss.log'));
    expect(config.security.keyFile).toBe(join(folder, 'var/nbwss.key')); // the default, next to the file
    expect(config.netbackup.tls.caFile).toBe(''); // empty stays empty
  });

  it('a relative path from the environment resolves against the working directory; absolute paths stay', () => {
    const cwd = tempDir();
    const folder = tempDir();
    writeFileSync(join(folder, 'nbwss.properties'), 'db.path=/abs/nbwss.db\n');
    const { config } = loadConfig({ env: { NBWSS_SECURITY_KEYFILE: 'k/nbwss.key' }, cwd, file: join(folder, 'nbwss.properties') });
    expect(config.db.path).toBe('/abs/nbwss.db');
    expect(config.security.keyFile).toBe(join(cwd, 'k/nbwss.key'));
  });
});

describe('loadConfig: netbackup.baseUrl ending with /netbackup (issue 12 item 11)', () => {
  it('is a warning naming where it was set and the URL to use', () => {
    const file = propertiesFile('netbackup.baseUrl=https://nbu.example.com:1556/netbackup/\n');
    const { warnings } = load({ file });
    expect(warnings).toEqual([
      `netbackup.baseUrl https://nbu.example.com:1556/netbackup (${file}:1) ends with /netbackup: COMMAND uris already start with /netbackup/, so requests would go to /netbackup/netbackup/…; give the server only, e.g. https://nbu.example.com:1556`,
    ]);
    expect(load({ file: propertiesFile('netbackup.baseUrl=https://nbu.example.com:1556\n') }).warnings).toEqual([]);
  });
});

describe('parseValue and the key table', () => {
  it('simulator.scenarios allows exactly the simulator\'s scenario names', () => {
    expect(KEYS['simulator.scenarios'].choices).toEqual([...SCENARIO_NAMES]);
    expect(parseValue(KEYS['simulator.scenarios'], 'vmware, air')).toEqual({ ok: true, value: ['vmware', 'air'] });
    expect(parseValue(KEYS['simulator.scenarios'], 'vmware,tape,disk')).toEqual({ ok: false, reason: `names unknown items tape, disk (known: ${SCENARIO_NAMES.join(', ')})` });
  });

  it('every default in the key table passes its own check', () => {
    for (const [key, def] of Object.entries(KEYS)) {
      expect(parseValue(def, String(def.default)).ok, key).toBe(true);
    }
  });
});
