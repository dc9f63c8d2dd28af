/**
 * JSON:API collections as NetBackup serves them: `filter`, `sort`, `page[offset]`/`page[limit]`,
 * `meta.pagination` and `links`.
 */
import { compileFilter, compileSort, FilterError, type FieldTypes } from './filter.js';
import { HttpError, NbErrorCode, type Reply } from './http.js';
import type { RouteContext } from './router.js';

/** Page size when `page[limit]` is absent (NetBackup's default). */
export const DEFAULT_PAGE_LIMIT = 10;
/** Largest page served; a larger `page[limit]` is lowered to this. */
export const MAX_PAGE_LIMIT = 100;

/** A JSON:API resource object. */
export interface Resource {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  links: { self: { href: string } };
}

/** How to present one collection. */
export interface CollectionSpec<R> {
  /** Path of the collection under the origin, e.g. `/netbackup/admin/jobs`. */
  path: string;
  fields: FieldTypes;
  /** Sort when the request gives none, e.g. `-jobId`. */
  defaultSort: string;
  resource(record: R): Resource;
}

/** `meta.pagination` of a page. */
export interface Pagination {
  count: number;
  limit: number;
  offset: number;
  hasNext: boolean;
  hasPrev: boolean;
  page: number;
  pages: number;
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new HttpError(400, NbErrorCode.invalidParameter, `${name} must be an integer >= ${min}, got '${raw}'`);
  }
  return Number(raw);
}

/** Filter, sort and page `records` per the request's query; the 200 reply. Bad parameters: 400. */
export function collectionReply<R>(ctx: RouteContext, records: readonly R[], spec: CollectionSpec<R>): Reply {
  const offset = intParam(ctx.query, 'page[offset]', 0, 0);
  const limit = Math.min(intParam(ctx.query, 'page[limit]', DEFAULT_PAGE_LIMIT, 1), MAX_PAGE_LIMIT);
  let selected: R[];
  try {
    const predicate = compileFilter<R>(ctx.query.get('filter') ?? '', spec.fields);
    selected = records.filter(predicate).sort(compileSort<R>(ctx.query.get('sort') ?? spec.defaultSort, spec.fields));
  } catch (err) {
    if (err instanceof FilterError) {
      throw new HttpError(400, NbErrorCode.invalidParameter, `Invalid filter or sort: ${err.message}`, [{ parameter: 'filter', message: err.message }]);
    }
    throw err;
  }
  const count = selected.length;
  const pages = Math.ceil(count / limit);
  const pagination: Pagination = {
    count,
    limit,
    offset,
    hasNext: offset + limit < count,
    hasPrev: offset > 0,
    page: Math.floor(offset / limit),
    pages,
  };
  const href = (o: number) => {
    const q = new URLSearchParams(ctx.query);
    q.set('page[offset]', String(o));
    q.set('page[limit]', String(limit));
    return { href: `${ctx.origin}${spec.path}?${q.toString()}` };
  };
  const lastOffset = Math.max(0, (pages - 1) * limit);
  const links: Record<string, { href: string }> = { self: href(offset), first: href(0), last: href(lastOffset) };
  if (pagination.hasNext) links.next = href(offset + limit);
  if (pagination.hasPrev) links.prev = href(Math.max(0, offset - limit));
  return {
    status: 200,
    json: { data: selected.slice(offset, offset + limit).map((r) => spec.resource(r)), meta: { pagination }, links },
  };
}
