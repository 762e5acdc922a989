import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { TimeZoneSelect } from "../TimeZoneSelect";
import { lengthLabel, SessionLengthChips } from "./SessionLengthChips";

function Lengths({ initial }: { initial: number[] }) {
  const [value, setValue] = useState(initial);
  return (
    <>
      <SessionLengthChips value={value} onChange={setValue} />
      <output>{value.join(",")}</output>
    </>
  );
}

describe("SessionLengthChips", () => {
  it("toggles allowed lengths, sorted, and stops at six", async () => {
    render(<Lengths initial={[60, 30]} />);
    await userEvent.click(screen.getByRole("checkbox", { name: "45 min" }));
    expect(screen.getByRole("status", { hidden: true }).textContent ?? "").toBe("30,45,60");
    await userEvent.click(screen.getByRole("checkbox", { name: "1 h" }));
    expect(screen.getByText("30,45")).toBeInTheDocument();
    for (const name of ["15 min", "1 h", "1 h 30 min", "2 h"]) await userEvent.click(screen.getByRole("checkbox", { name }));
    expect(screen.getByText("15,30,45,60,90,120")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "3 h" })).toBeDisabled();
  });

  it("writes lengths in hours and minutes", () => {
    expect([lengthLabel(45), lengthLabel(60), lengthLabel(90)]).toEqual(["45 min", "1 h", "1 h 30 min"]);
  });
});

describe("TimeZoneSelect", () => {
  it("narrows the zones by search and only offers real zone names", async () => {
    let chosen = "UTC";
    render(<TimeZoneSelect value="UTC" onChange={(z) => (chosen = z)} />);
    await userEvent.type(screen.getByRole("searchbox", { name: "Search time zones" }), "tokyo");
    const select = screen.getByLabelText("Time zone") as HTMLSelectElement;
    const values = [...select.options].map((o) => o.value);
    expect(values).toContain("Asia/Tokyo");
    expect(values).toContain("UTC"); // the current choice stays visible
    expect(values.length).toBeLessThan(5);
    await userEvent.selectOptions(select, "Asia/Tokyo");
    expect(chosen).toBe("Asia/Tokyo");
  });
});
