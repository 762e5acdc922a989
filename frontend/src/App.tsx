import type { ReactElement } from "react";
import { Navigate, Route, Routes, useLocation, useParams } from "react-router-dom";

import { RequireAuth } from "./auth/RequireAuth";
import { Layout } from "./components/Layout";
import { AccountPage } from "./pages/AccountPage";
import { AdminApplicationsPage } from "./pages/AdminApplicationsPage";
import { BecomeExpertPage } from "./pages/BecomeExpertPage";
import { ChatPage, StartChatPage } from "./pages/ChatPage";
import { ConsultationDetailPage } from "./pages/ConsultationDetailPage";
import { ExpertDashboardPage } from "./pages/ExpertDashboardPage";
import { ExpertDetailPage } from "./pages/ExpertDetailPage";
import { ExpertProfileEditPage } from "./pages/ExpertProfileEditPage";
import { ExpertsPage } from "./pages/ExpertsPage";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { LandingPage } from "./pages/LandingPage";
import { LoginPage } from "./pages/LoginPage";
import { MyConsultationsPage } from "./pages/MyConsultationsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage } from "./pages/PasswordPages";
import { ReschedulePage } from "./pages/ReschedulePage";
import { SignupPage } from "./pages/SignupPage";
import { VideoCallPage } from "./pages/VideoCallPage";
import { paths } from "./routes";

const authed = (element: ReactElement, expert = false) => <RequireAuth expert={expert}>{element}</RequireAuth>;

/** Keeps short or older links working: swaps the path, keeps the query string. */
function Redirect({ to }: { to: (params: Record<string, string | undefined>) => string }) {
  const params = useParams();
  const { search } = useLocation();
  const target = to(params);
  const joiner = target.includes("?") ? "&" : "?";
  return <Navigate to={search ? `${target}${joiner}${search.slice(1)}` : target} replace />;
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<LandingPage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="signup" element={<SignupPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="account" element={authed(<AccountPage />)} />
        <Route path="account/confirm-email" element={<ConfirmEmailPage />} />

        <Route path="consultations" element={<ExpertsPage />} />
        <Route path="consultations/book" element={<ExpertDetailPage />} />
        <Route path="consultations/my-consultations" element={authed(<MyConsultationsPage />)} />
        <Route path="consultations/chat" element={authed(<ChatPage />)} />
        <Route path="consultations/chat/new" element={authed(<StartChatPage />)} />
        <Route path="consultations/chat/:id" element={authed(<ChatPage />)} />
        <Route path="consultations/expert" element={authed(<ExpertDashboardPage />, true)} />
        <Route path="consultations/expert/profile" element={authed(<ExpertProfileEditPage />, true)} />
        <Route path="consultations/expert/integrations" element={authed(<IntegrationsPage />, true)} />
        <Route path="consultations/:id" element={authed(<ConsultationDetailPage />)} />
        <Route path="consultations/:id/video" element={authed(<VideoCallPage />)} />
        <Route path="consultations/:id/reschedule" element={authed(<ReschedulePage />)} />
        <Route path="experts/apply" element={authed(<BecomeExpertPage />)} />
        <Route path="experts/verification-status" element={authed(<BecomeExpertPage />)} />
        <Route path="staff/applications" element={authed(<AdminApplicationsPage />)} />

        {/* Short aliases. */}
        <Route path="experts" element={<Redirect to={() => paths.experts} />} />
        <Route path="experts/:id" element={<Redirect to={(p) => paths.expert(p.id ?? "")} />} />
        <Route path="chat" element={<Redirect to={() => paths.chat} />} />
        <Route path="chat/:id" element={<Redirect to={(p) => paths.conversation(p.id ?? "")} />} />
        <Route path="expert" element={<Redirect to={() => paths.dashboard} />} />
        <Route path="become-an-expert" element={<Redirect to={() => paths.apply} />} />
        <Route path="consultations/:id/call" element={<Redirect to={(p) => paths.video(p.id ?? "")} />} />

        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
