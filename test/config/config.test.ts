import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedKeys, envName, KEYS, loadConfig, parseValue, type LoadConfigOptions } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
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
    const { config, file, warnings, sources } = load();
    expect(file).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(config.connectionInfo.period).toBe(60);
    expect(config.keepAlive.scheduledRate).toBe(30);
    expect(config.notification.sendTimeout).toBe(2000);
    expect(config.db.path).toBe('var/nbwss.db');
    expect(config.command.allowedPathPrefixes).toEqual(['/netbackup/']);
    expect(Object.values(sources).every((s) => s === 'default')).toBe(true);
  });

  it('reads config/nbwss.properties under the working directory when nothing else is given', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'nbwss.properties'), 'connectionInfo.period=7\n');
    const { config, file, sources } = loadConfig({ env: {}, cwd });
    expect(file).toBe(join(cwd, 'config', 'nbwss.properties'));
    expect(config.connectionInfo.period).toBe(7);
    expect(sources['connectionInfo.period']).toBe('file');
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
    expect(warnings).toEqual([`unknown configuration key "connectionInfo.perod" at ${file}:2 (ignored)`]);
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
    expect(sources['connectionInfo.period']).toBe('env');
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
    expect(sources['connectionInfo.period']).toBe('override');
    configError(() => load({ overrides: { 'connectionInfo.period': -1 } }));
    configError(() => load({ overrides: { 'no.such.key': 1 } as never }));
  });

  it('changedKeys lists the keys whose values differ', () => {
    const a = load().config;
    const b = load({ env: { NBWSS_CONNECTIONINFO_PERIOD: '3', NBWSS_COMMAND_ALLOWEDPATHPREFIXES: '/x/' } }).config;
    expect(changedKeys(a, b).sort()).toEqual(['command.allowedPathPrefixes', 'connectionInfo.period']);
  });
});

describe('parseValue and the key table', () => {
  it('every default in the key table passes its own check', () => {
    for (const [key, def] of Object.entries(KEYS)) {
      expect(parseValue(def, String(def.default)).ok, key).toBe(true);
    }
  });
});
