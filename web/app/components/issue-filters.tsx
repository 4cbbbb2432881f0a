import { Form, Link, useNavigate } from "@remix-run/react";
import type { FormEvent } from "react";
import {
  DEFAULT_LIST_STATE,
  isFiltered,
  LIST_PERIODS,
  LIST_SORTS,
  type ListPeriod,
  type ListSort,
  type ListState,
  listSearch,
} from "../utils/list-params";

interface FilterValues {
  services: string[];
  environments: string[];
  releases: string[];
}

/** The selected value first when it is not among the known ones (e.g. from a shared link). */
function withSelected(values: string[], selected: string): string[] {
  return selected && !values.includes(selected) ? [selected, ...values] : values;
}

function Select({
  name,
  label,
  value,
  options,
  any,
}: {
  name: string;
  label: string;
  value: string;
  options: Array<[value: string, label: string]>;
  any?: string;
}) {
  return (
    <label className="filter">
      <span className="filter-label">{label}</span>
      <select name={name} defaultValue={value}>
        {any !== undefined ? <option value="">{any}</option> : null}
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Search, filters and sort as a GET form: the state lives in the URL and the form works without
 * JavaScript. With it, changing a select applies at once and empty fields stay out of the URL.
 */
export function IssueFilters({
  base,
  state,
  values,
}: {
  base: string;
  state: ListState;
  values: FilterValues;
}) {
  const navigate = useNavigate();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    navigate(
      `${base}${listSearch({
        status: state.status,
        chart: state.chart,
        q: text("q"),
        service: text("service"),
        env: text("env"),
        release: text("release"),
        period: (text("period") || DEFAULT_LIST_STATE.period) as ListPeriod,
        sort: (text("sort") || DEFAULT_LIST_STATE.sort) as ListSort,
      })}`,
    );
  };
  const opts = (list: string[], selected: string): Array<[string, string]> =>
    withSelected(list, selected).map((v) => [v, v]);
  return (
    <Form
      method="get"
      action={base}
      className="filters"
      role="search"
      aria-label="Filter issues"
      onSubmit={onSubmit}
      onChange={(e) => {
        if (e.target instanceof HTMLSelectElement) e.currentTarget.requestSubmit();
      }}
      // Remounted when the URL's state changes, so the fields show it (uncontrolled inputs).
      key={listSearch(state)}
    >
      {state.status !== DEFAULT_LIST_STATE.status ? (
        <input type="hidden" name="status" value={state.status} />
      ) : null}
      {state.chart !== DEFAULT_LIST_STATE.chart ? (
        <input type="hidden" name="chart" value={state.chart} />
      ) : null}
      <label className="filter search">
        <span className="filter-label">Search</span>
        <input
          type="search"
          name="q"
          defaultValue={state.q}
          placeholder="Title, message or culprit"
          maxLength={200}
          autoComplete="off"
        />
      </label>
      <Select
        name="service"
        label="Service"
        value={state.service}
        options={opts(values.services, state.service)}
        any="All services"
      />
      <Select
        name="env"
        label="Environment"
        value={state.env}
        options={opts(values.environments, state.env)}
        any="All environments"
      />
      <Select
        name="release"
        label="Release"
        value={state.release}
        options={opts(values.releases, state.release)}
        any="All releases"
      />
      <Select
        name="period"
        label="Last seen"
        value={state.period}
        options={Object.entries(LIST_PERIODS).map(([v, p]) => [v, p.label])}
      />
      <Select name="sort" label="Sort by" value={state.sort} options={Object.entries(LIST_SORTS)} />
      <div className="filter-actions">
        <button type="submit" className="button">
          Apply
        </button>
        {isFiltered(state) ? (
          <Link
            to={`${base}${listSearch({ ...DEFAULT_LIST_STATE, status: state.status, chart: state.chart, sort: state.sort })}`}
          >
            Clear
          </Link>
        ) : null}
      </div>
    </Form>
  );
}
