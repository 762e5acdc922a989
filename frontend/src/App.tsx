import type { ReactElement } from "react";
import { Navigate, Route, Routes } from "react-router-dom";

import { RequireAuth } from "./auth/RequireAuth";
import { Layout } from "./components/Layout";
import { AdminApplicationsPage } from "./pages/AdminApplicationsPage";
import { BecomeExpertPage } from "./pages/BecomeExpertPage";
import { ChatPage, StartChatPage } from "./pages/ChatPage";
import { ConsultationDetailPage } from "./pages/ConsultationDetailPage";
import { ExpertDashboardPage } from "./pages/ExpertDashboardPage";
import { ExpertDetailPage } from "./pages/ExpertDetailPage";
import { ExpertsPage } from "./pages/ExpertsPage";
import { LoginPage } from "./pages/LoginPage";
import { MyConsultationsPage } from "./pages/MyConsultationsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ReschedulePage } from "./pages/ReschedulePage";
import { SignupPage } from "./pages/SignupPage";
import { VideoCallPage } from "./pages/VideoCallPage";

const authed = (element: ReactElement, expert = false) => <RequireAuth expert={expert}>{element}</RequireAuth>;

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/experts" replace />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="signup" element={<SignupPage />} />
        <Route path="experts" element={<ExpertsPage />} />
        <Route path="experts/:id" element={<ExpertDetailPage />} />
        <Route path="consultations" element={authed(<MyConsultationsPage />)} />
        <Route path="consultations/:id" element={authed(<ConsultationDetailPage />)} />
        <Route path="consultations/:id/reschedule" element={authed(<ReschedulePage />)} />
        <Route path="consultations/:id/call" element={authed(<VideoCallPage />)} />
        <Route path="chat" element={authed(<ChatPage />)} />
        <Route path="chat/new" element={authed(<StartChatPage />)} />
        <Route path="chat/:id" element={authed(<ChatPage />)} />
        <Route path="expert" element={authed(<ExpertDashboardPage />, true)} />
        <Route path="become-an-expert" element={authed(<BecomeExpertPage />)} />
        <Route path="staff/applications" element={authed(<AdminApplicationsPage />)} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
