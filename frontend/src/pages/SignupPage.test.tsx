import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../auth/AuthContext";
import { mockFetch } from "../test/fetchMock";
import { LoginPage } from "./LoginPage";
import { SignupPage, validateSignup } from "./SignupPage";

const ME = { id: 1, email: "erin@example.com", first_name: "Erin", last_name: "", name: "Erin", roles: { is_expert: false, expert_id: null, expert_status: null, is_staff: false } };

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <Routes>
          <Route path="/signup" element={<SignupPage />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/consultations" element={<h1>Experts page</h1>} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

describe("validateSignup", () => {
  it("asks for a valid email and an 8+ character password", () => {
    expect(validateSignup({ first_name: "", last_name: "", email: "", password: "" })).toEqual({
      email: "Enter your email address.",
      password: "Use at least 8 characters.",
    });
    expect(validateSignup({ first_name: "", last_name: "", email: "x@y", password: "longenough" })).toEqual({
      email: "Enter a valid email address.",
    });
    expect(validateSignup({ first_name: "", last_name: "", email: "a@b.co", password: "longenough" })).toEqual({});
  });
});

describe("SignupPage", () => {
  it("shows browser-side errors without calling the server", async () => {
    const calls = mockFetch((url) => (url.pathname === "/api/v1/auth/session/" ? { status: 200, body: { authenticated: false, user: null } } : undefined));
    renderAt("/signup");
    await userEvent.click(await screen.findByRole("button", { name: "Sign up" }));
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByText("Use at least 8 characters.")).toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/api/v1/auth/register/")).toHaveLength(0);
  });

  it("puts the server's field error under the field it names, sending the CSRF token", async () => {
    document.cookie = "csrftoken=tok123";
    const calls = mockFetch((url) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: false, user: null } };
      if (url.pathname === "/api/v1/auth/register/")
        return {
          status: 400,
          body: {
            error: { code: "invalid", message: "An account with this email already exists.", fields: { email: ["An account with this email already exists."] } },
            email: ["An account with this email already exists."],
          },
        };
    });
    renderAt("/signup");
    await userEvent.type(await screen.findByLabelText("Email"), "erin@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a-long-pass");
    await userEvent.click(screen.getByRole("button", { name: "Sign up" }));
    const message = await screen.findByText("An account with this email already exists.");
    expect(screen.getByLabelText("Email").getAttribute("aria-describedby")).toContain(message.id);
    const register = calls.find((c) => c.path === "/api/v1/auth/register/")!;
    expect(register.headers.get("X-CSRFToken")).toBe("tok123");
    expect(register.body).toMatchObject({ email: "erin@example.com", password: "a-long-pass" });
  });

  it("signs the user in and moves on to the experts", async () => {
    mockFetch((url) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: false, user: null } };
      if (url.pathname === "/api/v1/auth/register/") return { status: 201, body: { user: ME, token: "t" } };
    });
    renderAt("/signup");
    await userEvent.type(await screen.findByLabelText("Email"), "erin@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a-long-pass");
    await userEvent.click(screen.getByRole("button", { name: "Sign up" }));
    expect(await screen.findByRole("heading", { name: "Experts page" })).toBeInTheDocument();
  });
});

describe("LoginPage", () => {
  it("shows a wrong password under the password field", async () => {
    mockFetch((url) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: false, user: null } };
      if (url.pathname === "/api/v1/auth/login/")
        return { status: 400, body: { error: { code: "invalid_credentials", message: "Email or password is wrong.", fields: { password: ["Email or password is wrong."] } } } };
    });
    renderAt("/login");
    await userEvent.type(await screen.findByLabelText("Email"), "erin@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "nope-nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Email or password is wrong.")).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
  });

  it("reports an unreachable server instead of failing silently", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.endsWith("/api/v1/auth/session/")) return new Response(JSON.stringify({ authenticated: false, user: null }), { status: 200 });
        throw new TypeError("Failed to fetch");
      }),
    );
    renderAt("/login");
    await userEvent.type(await screen.findByLabelText("Email"), "erin@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "whatever-1");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Network error");
  });
});
