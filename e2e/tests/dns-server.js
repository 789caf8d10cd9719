// A tiny authoritative DNS server for the browser tests: UDP and TCP (RFC 1035 §4.2.2 framing,
// a two-byte length before each message) on 127.0.0.1, the same random free port for both.
// Gatehouse is pointed at it with GATEHOUSE_DNS_SERVERS=127.0.0.1:<port>, so a test decides what
// "the internet" says about a domain by editing the in-memory zone.
//
// What it answers (class IN only, one question per query):
//   - TXT and A records from the zone (TXT records as one or more character-strings);
//   - a name not in the zone (and with no name below it): NXDOMAIN;
//   - a name in the zone without records of the asked type: NOERROR with no answers.
// Every answer echoes the question and copies ID, opcode and RD; it sets QR, AA and RA. A query
// with an EDNS OPT record gets one back (UDP size 1232). A UDP answer larger than the client can
// take is sent truncated (TC, no answers), so the client asks again over TCP, as with a real server.
// Nothing here is cached or remembered between queries except `queries`, a log for failures.

import dgram from 'node:dgram';
import net from 'node:net';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const CLASS_IN = 1;
const CLASS_ANY = 255;
const EDNS_UDP_SIZE = 1232;
const PLAIN_UDP_SIZE = 512;
const TTL = 0; // nothing should be cached: the tests change the zone between checks

/** Lower case, no trailing dot: the form zone keys are kept in. */
export function normalizeName(name) {
  return String(name).trim().replace(/\.$/, '').toLowerCase();
}

/** A malformed query: answered with FORMERR (when its header could be read). */
class FormatError extends Error {}

/**
 * Reads a domain name at `offset`: labels, or a compression pointer (allowed, though queries
 * rarely use one). Returns { labels, end } where `end` is the offset just after the name as it
 * sits at `offset` (after the pointer, if one was followed).
 */
function readName(buf, offset) {
  const labels = [];
  let pos = offset;
  let end = null;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new FormatError('name runs past the end of the message');
    const len = buf[pos];
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new FormatError('truncated compression pointer');
      if (++jumps > 32) throw new FormatError('compression pointer loop');
      if (end === null) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) throw new FormatError(`unsupported label type 0x${len.toString(16)}`);
    if (len === 0) {
      if (end === null) end = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new FormatError('label runs past the end of the message');
    labels.push(buf.subarray(pos + 1, pos + 1 + len));
    length += len + 1;
    if (length > 255) throw new FormatError('name longer than 255 octets');
    pos += 1 + len;
  }
  return { labels, end };
}

/** The labels as text (a label's bytes taken as latin1, so nothing is lost), dot-separated. */
function labelsToName(labels) {
  return labels.map((l) => l.toString('latin1')).join('.');
}

/**
 * Parses a query message. Returns
 * { id, flags, opcode, rd, question: { name, type, class, raw }, edns: null | { udpSize, version } }.
 * Throws FormatError (with `.id` and `.flags` when the header was readable) for a bad message.
 */
export function parseQuery(buf) {
  if (buf.length < 12) throw new FormatError('message shorter than a header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const fail = (msg) => Object.assign(new FormatError(msg), { id, flags });
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  if (flags & 0x8000) throw fail('QR is set: this is a response, not a query');
  if (qdcount !== 1) throw fail(`expected exactly one question, got ${qdcount}`);

  let question;
  let pos = 12;
  try {
    const { labels, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new FormatError('question runs past the end of the message');
    question = {
      name: labelsToName(labels),
      type: buf.readUInt16BE(end),
      class: buf.readUInt16BE(end + 2),
      raw: Buffer.from(buf.subarray(pos, end + 4)),
    };
    pos = end + 4;

    // Skip answer and authority records; look for an EDNS OPT record among the additional ones.
    let edns = null;
    for (let i = 0; i < ancount + nscount + arcount; i++) {
      const rr = readName(buf, pos);
      if (rr.end + 10 > buf.length) throw new FormatError('record runs past the end of the message');
      const type = buf.readUInt16BE(rr.end);
      const rrClass = buf.readUInt16BE(rr.end + 2);
      const ttl = buf.readUInt32BE(rr.end + 4);
      const rdlength = buf.readUInt16BE(rr.end + 8);
      if (rr.end + 10 + rdlength > buf.length) throw new FormatError('record data runs past the end of the message');
      if (i >= ancount + nscount && type === TYPE.OPT) {
        if (edns) throw new FormatError('more than one OPT record');
        if (rr.labels.length !== 0) throw new FormatError('OPT record not owned by the root');
        edns = { udpSize: Math.max(PLAIN_UDP_SIZE, rrClass), version: (ttl >>> 16) & 0xff };
      }
      pos = rr.end + 10 + rdlength;
    }
    return { id, flags, opcode: (flags >> 11) & 0x0f, rd: Boolean(flags & 0x0100), question, edns };
  } catch (e) {
    if (e instanceof FormatError) throw Object.assign(e, { id, flags });
    throw e;
  }
}

/** TXT RDATA: each character-string is a length octet and up to 255 octets. */
function txtRdata(strings) {
  const parts = [];
  for (const s of strings) {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 255) throw new Error(`a TXT character-string is at most 255 octets: ${s}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}

/** A RDATA: four octets. */
function aRdata(ip) {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return Buffer.from(octets);
}

/** A resource record owned by the question's name (a pointer to offset 12). */
function answerRecord(type, rdata) {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // NAME: pointer to the question name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(CLASS_IN, 4);
  head.writeUInt32BE(TTL, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

/** EDNS OPT record for the answer: root owner, our UDP size, extended RCODE bits, version 0. */
function optRecord(extendedRcode = 0) {
  const rr = Buffer.alloc(11);
  rr.writeUInt8(0, 0); // root
  rr.writeUInt16BE(TYPE.OPT, 1);
  rr.writeUInt16BE(EDNS_UDP_SIZE, 3);
  rr.writeUInt32BE((extendedRcode & 0xff) << 24, 5); // ext-RCODE, version 0, no DO bit
  rr.writeUInt16BE(0, 9);
  return rr;
}

/** A header: ID and RD (and opcode) copied from the query; QR, AA, RA set. */
function header(id, queryFlags, rcode, counts, { truncated = false } = {}) {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  let flags = 0x8000; // QR
  flags |= queryFlags & 0x7800; // opcode
  flags |= 0x0400; // AA
  if (truncated) flags |= 0x0200; // TC
  flags |= queryFlags & 0x0100; // RD
  flags |= 0x0080; // RA
  flags |= rcode & 0x0f;
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(counts.qd, 4);
  h.writeUInt16BE(counts.an, 6);
  h.writeUInt16BE(counts.ns, 8);
  h.writeUInt16BE(counts.ar, 10);
  return h;
}

/**
 * Starts the server. Returns
 *   { host, port, address ("127.0.0.1:<port>"), queries, setTxt, setA, remove, clear, lookup, close }.
 *
 * setTxt(name, ...records): the TXT records of `name` (replacing earlier ones); a record is a
 * string (split into 255-octet character-strings when longer) or an array of character-strings.
 * setA(name, ...ips): the A records of `name`. remove(name): `name` leaves the zone (NXDOMAIN).
 */
export async function startDnsServer({ host = '127.0.0.1' } = {}) {
  /** name -> { TXT: string[][], A: string[] } */
  const zone = new Map();
  /** Every query seen: { transport, name, type, rcode, answers } (for failure messages). */
  const queries = [];

  const entry = (name) => {
    const key = normalizeName(name);
    if (!zone.has(key)) zone.set(key, { TXT: [], A: [] });
    return zone.get(key);
  };

  /** Whether a name exists: it has an entry, or a name below it does (an empty non-terminal). */
  const exists = (key) => zone.has(key) || [...zone.keys()].some((k) => k.endsWith(`.${key}`));

  /** The answer to one message (a Buffer), or null when it cannot be answered at all. */
  function answer(msg, transport, maxSize) {
    let q;
    try {
      q = parseQuery(msg);
    } catch (e) {
      if (!(e instanceof FormatError) || e.id === undefined || e.flags & 0x8000) return null; // unreadable, or a response: drop
      queries.push({ transport, error: e.message, rcode: 'FORMERR' });
      return header(e.id, e.flags, RCODE.FORMERR, { qd: 0, an: 0, ns: 0, ar: 0 });
    }
    const { question } = q;
    const log = { transport, name: question.name, type: TYPE_NAMES[question.type] ?? question.type };
    queries.push(log);

    const reply = (rcode, answers = []) => {
      log.rcode = Object.keys(RCODE).find((k) => RCODE[k] === rcode) ?? rcode;
      log.answers = answers.length;
      // EDNS version 0 only: a higher version gets BADVERS (extended RCODE 16 = 1 << 4).
      const badvers = q.edns && q.edns.version !== 0;
      const opt = q.edns ? [optRecord(badvers ? 1 : 0)] : [];
      if (badvers) {
        log.rcode = 'BADVERS';
        answers = [];
        rcode = 0;
      }
      const counts = { qd: 1, an: answers.length, ns: 0, ar: opt.length };
      const full = Buffer.concat([header(q.id, q.flags, rcode, counts), question.raw, ...answers, ...opt]);
      // Over UDP, what the client said it takes (512 without EDNS); over TCP, any size.
      const limit = transport === 'udp' ? (q.edns ? Math.min(q.edns.udpSize, EDNS_UDP_SIZE) : PLAIN_UDP_SIZE) : maxSize;
      if (full.length <= limit) return full;
      log.truncated = true;
      return Buffer.concat([
        header(q.id, q.flags, rcode, { qd: 1, an: 0, ns: 0, ar: opt.length }, { truncated: true }),
        question.raw,
        ...opt,
      ]);
    };

    if (q.opcode !== 0) return reply(RCODE.NOTIMP);
    if (question.class !== CLASS_IN && question.class !== CLASS_ANY) return reply(RCODE.REFUSED);
    const key = normalizeName(question.name);
    if (!exists(key)) return reply(RCODE.NXDOMAIN);
    const records = zone.get(key) ?? { TXT: [], A: [] };
    const answers = [];
    const wants = (type) => question.type === type || question.type === TYPE.ANY;
    if (wants(TYPE.TXT)) for (const strings of records.TXT) answers.push(answerRecord(TYPE.TXT, txtRdata(strings)));
    if (wants(TYPE.A)) for (const ip of records.A) answers.push(answerRecord(TYPE.A, aRdata(ip)));
    return reply(RCODE.NOERROR, answers);
  }

  // Bind TCP on a free port, then UDP on the same one; if UDP is taken there, try another.
  let tcp;
  let udp;
  const sockets = new Set();
  for (let attempt = 1; ; attempt++) {
    tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        // Several framed messages may arrive in one chunk, or one across several.
        while (pending.length >= 2) {
          const len = pending.readUInt16BE(0);
          if (pending.length < 2 + len) break;
          const msg = pending.subarray(2, 2 + len);
          pending = pending.subarray(2 + len);
          const out = answer(msg, 'tcp', 65535);
          if (!out) {
            socket.destroy();
            return;
          }
          const frame = Buffer.alloc(2);
          frame.writeUInt16BE(out.length, 0);
          socket.write(Buffer.concat([frame, out]));
        }
      });
    });
    await new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, host, resolve);
    });
    const { port } = tcp.address();
    udp = dgram.createSocket('udp4');
    try {
      await new Promise((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, resolve);
      });
      break;
    } catch (e) {
      udp.close();
      await new Promise((r) => tcp.close(r));
      if (e.code !== 'EADDRINUSE' || attempt >= 10) throw e;
    }
  }
  udp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, 'udp', 65507);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });

  const port = tcp.address().port;
  return {
    host,
    port,
    address: `${host}:${port}`,
    queries,
    setTxt(name, ...records) {
      entry(name).TXT = records.map((r) => {
        if (Array.isArray(r)) return r.map(String);
        // One string: split into character-strings of at most 255 octets (ASCII text assumed).
        const s = String(r);
        const parts = [];
        for (let i = 0; i < s.length; i += 255) parts.push(s.slice(i, i + 255));
        return parts.length ? parts : [''];
      });
    },
    setA(name, ...ips) {
      ips.forEach(aRdata); // fail here, not while answering
      entry(name).A = ips;
    },
    remove(name) {
      zone.delete(normalizeName(name));
    },
    clear() {
      zone.clear();
    },
    /** What the zone holds for a name (null when absent). */
    lookup(name) {
      const e = zone.get(normalizeName(name));
      return e ? structuredClone(e) : null;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => tcp.close(() => r())), new Promise((r) => udp.close(() => r()))]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A minimal client, for checking the server itself (the tests do not resolve through it).

/** Builds a query for one question; `edns` adds an OPT record (UDP size 1232). */
export function buildQuery(name, type, { id = Math.floor(Math.random() * 0x10000), rd = true, edns = false } = {}) {
  const labels = String(name).trim().replace(/\.$/, '').split('.').filter(Boolean); // case kept, as sent
  const parts = [];
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(rd ? 0x0100 : 0, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(edns ? 1 : 0, 10);
  parts.push(h);
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(typeof type === 'number' ? type : TYPE[type], 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  parts.push(tail);
  if (edns) parts.push(optRecord(0));
  return Buffer.concat(parts);
}

/** Parses a response: header fields, the question, and the answers (TXT as string arrays, A as text). */
export function parseResponse(buf) {
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let pos = 12;
  const questions = [];
  for (let i = 0; i < counts[0]; i++) {
    const { labels, end } = readName(buf, pos);
    questions.push({ name: labelsToName(labels), type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const records = [];
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const { labels, end } = readName(buf, pos);
    const type = buf.readUInt16BE(end);
    const rdlength = buf.readUInt16BE(end + 8);
    const rdata = buf.subarray(end + 10, end + 10 + rdlength);
    let data = rdata;
    if (type === TYPE.TXT) {
      data = [];
      for (let p = 0; p < rdata.length; p += 1 + rdata[p]) data.push(rdata.subarray(p + 1, p + 1 + rdata[p]).toString('utf8'));
    } else if (type === TYPE.A) {
      data = [...rdata].join('.');
    }
    records.push({ name: labelsToName(labels), type, ttl: buf.readUInt32BE(end + 4), data, section: i < counts[1] ? 'answer' : i < counts[1] + counts[2] ? 'authority' : 'additional' });
    pos = end + 10 + rdlength;
  }
  return {
    id,
    qr: Boolean(flags & 0x8000),
    opcode: (flags >> 11) & 0x0f,
    aa: Boolean(flags & 0x0400),
    tc: Boolean(flags & 0x0200),
    rd: Boolean(flags & 0x0100),
    ra: Boolean(flags & 0x0080),
    rcode: flags & 0x0f,
    questions,
    answers: records.filter((r) => r.section === 'answer'),
    additional: records.filter((r) => r.section === 'additional'),
  };
}

/** Sends one query over UDP or TCP to host:port and returns the parsed response. */
export function query(host, port, name, type, { transport = 'udp', timeout = 2_000, ...opts } = {}) {
  const msg = buildQuery(name, type, opts);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no DNS answer over ${transport} from ${host}:${port} within ${timeout} ms`));
    }, timeout);
    let done;
    if (transport === 'udp') {
      const sock = dgram.createSocket('udp4');
      done = () => {
        clearTimeout(timer);
        sock.close();
      };
      sock.on('error', (e) => {
        done();
        reject(e);
      });
      sock.on('message', (buf) => {
        done();
        resolve(parseResponse(buf));
      });
      sock.send(msg, port, host);
    } else {
      const sock = net.connect(port, host);
      done = () => {
        clearTimeout(timer);
        sock.destroy();
      };
      let pending = Buffer.alloc(0);
      sock.on('error', (e) => {
        done();
        reject(e);
      });
      sock.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          done();
          resolve(parseResponse(pending.subarray(2, 2 + pending.readUInt16BE(0))));
        }
      });
      const frame = Buffer.alloc(2);
      frame.writeUInt16BE(msg.length, 0);
      // Two writes, as a client may send the length and the message separately.
      sock.write(frame);
      sock.write(msg);
    }
  });
}
